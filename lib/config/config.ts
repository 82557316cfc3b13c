/**
 * The shape of a loaded configuration: what every other module consumes. Each type is the
 * output of the zod schema in lib/config/schema.ts (defaults filled, durations in the unit their
 * name carries), so the schema is the one place that says what a key is and what it defaults to.
 * A loaded configuration is frozen.
 */
import type * as z from 'zod';
import type { configSchema, detectorSchema, sinkSchema, stateStoreSchema } from './schema.js';

export type { SecretRef } from './fields.js';
export type { FeatureName } from '../detect/features.js';

export type Config = z.output<typeof configSchema>;
export type PrometheusConfig = Config['prometheus'];
export type PrometheusAuth = PrometheusConfig['auth'];
/** Recorded `query_range` responses served instead of a live Prometheus; `path` is absolute once loaded. */
export type RecordingConfig = NonNullable<PrometheusConfig['recording']>;
export type DetectorConfig = z.output<typeof detectorSchema>;
export type AlertsConfig = Config['alerts'];
export type StateStoreConfig = z.output<typeof stateStoreSchema>;
export type SinkConfig = z.output<typeof sinkSchema>;
export type SinkType = SinkConfig['type'];
/** Detector state between runs (lib/model). */
export type DetectorStateConfig = Config['state'];
export type DetectorStateStoreConfig = DetectorStateConfig['store'];
/** Scores written back to Prometheus after each run (lib/write-back). */
export type WriteBackConfig = NonNullable<Config['writeBack']>;
