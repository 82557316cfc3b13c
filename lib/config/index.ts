/** The configuration module's public surface: load, parse, describe. */
export type * from './config.js';
export { ConfigError } from './errors.js';
export { loadConfig, defaultStateStore, type LoadConfigOptions } from './load-config.js';
export { parseConfig, apsRegionOf, type ParseConfigOptions } from './parse-config.js';
export { describeConfig } from './describe-config.js';
export { configDefaults } from './schema.js';
export { inferSinkType } from './webhook-format.js';
