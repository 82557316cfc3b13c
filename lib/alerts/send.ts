/**
 * Dispatch stage 3, send: one `send()` per sink, all sinks at once, with every delivery pending
 * for it in the states this run holds (oldest first), including ones that failed in earlier
 * runs. Nothing is stored here: record.ts writes down what happened.
 */
import type { Logger } from '../log.js';
import type { AlertSink, DeliveryResult, Notification } from '../sinks/sink.js';
import { oldestFirst } from './claim.js';
import type { AlertState } from './state-store.js';

/** One sink's batch. Never throws: a sink that does (a bug) fails the whole batch, retryably. */
async function sendBatch(sink: AlertSink, batch: readonly Notification[], signal: AbortSignal | undefined): Promise<DeliveryResult> {
  try {
    return await sink.send(batch, { signal });
  } catch (error) {
    // The port says send() never throws; a bug must still not lose the batch. Only the
    // error's name is kept: a message could quote the URL.
    const reason = `sink error: ${error instanceof Error ? error.name : 'unknown'}`;
    return { delivered: [], failed: batch.map((n) => ({ id: n.id, retryable: true, reason })) };
  }
}

/**
 * Sends what the held states have pending. Returns the result per sink name, for the sinks
 * that had something to send.
 */
export async function sendPending(
  held: readonly AlertState[],
  sinks: readonly AlertSink[],
  options: { signal?: AbortSignal },
  logger: Logger,
): Promise<Map<string, DeliveryResult>> {
  const results = await Promise.all(
    sinks.map(async (sink): Promise<[string, DeliveryResult] | undefined> => {
      const batch = held
        .flatMap((state) => state.pending.filter((p) => p.sink === sink.name))
        .sort(oldestFirst)
        .map((p) => p.notification);
      if (batch.length === 0) return undefined;
      const result = await sendBatch(sink, batch, options.signal);
      if (result.delivered.length > 0) logger.info('notifications delivered', { sink: sink.name, count: result.delivered.length });
      return [sink.name, result];
    }),
  );
  return new Map(results.filter((r) => r !== undefined));
}
