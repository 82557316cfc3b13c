/**
 * Isolation Forest (Liu, Ting & Zhou 2008) with scikit-learn's semantics: seeded, flat typed
 * arrays, no I/O. See `fitForest` and `contaminationThreshold`; `encodeForest` and `decodeForest`
 * write a fitted forest as bytes and read it back exactly.
 */
export { ForestDecodeError, ForestInputError } from './errors.js';
export { type Matrix, matrixFromRows, matrixFromColumns, assertValidMatrix } from './matrix.js';
export { type ForestOptions, type IsolationForest, fitForest } from './isolation-forest.js';
export { decodeForest, encodeForest } from './codec.js';
export { checksum32 } from './checksum.js';
export { contaminationThreshold } from './contamination.js';
export { averagePathLength } from './path-length.js';
export { Mulberry32 } from './random.js';
