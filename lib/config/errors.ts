import { AiopsError } from '../errors.js';

/**
 * A configuration that cannot be used. `problems` lists every problem found, each prefixed by
 * the path of the key (`detectors[1].windowMinutes: must be > 0`) or, for the seed's
 * environment variables, by the variable's name; the message carries them all, one per line.
 */
export class ConfigError extends AiopsError {
  override name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[], options?: { cause?: unknown }) {
    const list = problems.map((problem) => `  - ${problem}`).join('\n');
    super(`Invalid configuration (${source}):\n${list}`, options);
    this.problems = Object.freeze([...problems]);
  }
}
