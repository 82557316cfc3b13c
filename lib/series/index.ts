/** Labels, Series, the series key and the label formatter: the types every stage shares. */
export type { Labels, Series } from './series.js';
export { seriesKey, seriesName, labelList } from './labels.js';
export { float64Digest, fnv1a32 } from './hash.js';
