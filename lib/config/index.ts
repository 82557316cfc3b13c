/** The configuration module's public surface: load, parse, describe. */
export type * from './config.js';
export { ConfigError } from './errors.js';
export { loadConfig, defaultStateStore, type LoadConfigOptions } from './load-config.js';
export { parseConfig, type ParseConfigOptions } from './parse-config.js';
export { apsRegionOf } from '../aws/aps-workspace.js';
export { describeConfig } from './describe-config.js';
export { configDefaults } from './schema.js';
export { inferSinkType } from '../sinks/registry.js';
