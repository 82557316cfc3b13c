/**
 * What the Lambda is asked to do, from its event. EventBridge hands the function either its
 * scheduled event (`{"source": "aws.events", "detail-type": "Scheduled Event", ...}`), or,
 * when the schedule has an `input` (serverless.yml param `scheduleInput`), exactly that JSON:
 *
 *   {"detectors": ["http-latency", "queue-depth"]}   run only these detectors
 *   {"dryRun": true}                                  send nothing, change no state
 *
 * An empty event (`serverless invoke` without `--data`) runs every detector. Unknown keys in an
 * input object are an error, so a typo (`"detector"`) does not silently run everything.
 */
import { LambdaInputError } from './errors.js';

export interface LambdaInput {
  /** Run only these detectors (by name); absent = all. */
  detectors?: string[];
  dryRun: boolean;
}

const inputKeys = ['detectors', 'dryRun'] as const;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** True for an event EventBridge generated itself (no `input` configured on the rule). */
function isEventBridgeEvent(event: Record<string, unknown>): boolean {
  return typeof event.source === 'string' && typeof event['detail-type'] === 'string';
}

/** The run options an event asks for; {@link LambdaInputError} naming the key when unusable. */
export function parseLambdaInput(event: unknown): LambdaInput {
  if (event === undefined || event === null || event === '') return { dryRun: false };
  if (!isRecord(event)) {
    throw new LambdaInputError(
      `Lambda input: expected a JSON object such as {"detectors": ["name"]} or a scheduled event, got ${Array.isArray(event) ? 'an array' : typeof event}`,
    );
  }
  if (isEventBridgeEvent(event)) return { dryRun: false };

  const unknown = Object.keys(event).filter((key) => !(inputKeys as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new LambdaInputError(
      `Lambda input: unknown key(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}; allowed: ${inputKeys.join(', ')}`,
    );
  }
  const input: LambdaInput = { dryRun: false };
  if (event.detectors !== undefined) {
    const list = event.detectors;
    if (!Array.isArray(list) || list.length === 0 || !list.every((n) => typeof n === 'string' && n.trim() !== '')) {
      throw new LambdaInputError('Lambda input: "detectors" must be a non-empty list of detector names');
    }
    input.detectors = list.map((n: string) => n.trim());
  }
  if (event.dryRun !== undefined) {
    if (typeof event.dryRun !== 'boolean') throw new LambdaInputError('Lambda input: "dryRun" must be true or false');
    input.dryRun = event.dryRun;
  }
  return input;
}
