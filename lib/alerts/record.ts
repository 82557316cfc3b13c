/**
 * Dispatch stage 4, record: a second put per held state removes what was delivered; what
 * failed stays pending with `attempts + 1` and a secret-free `lastError`, to be sent again next
 * run. A failure that can never succeed (not retryable) is given up after
 * `giveUpAfterAttempts` runs, with an error line. The put also ends the lease.
 */
import { mapLimit } from '../concurrency.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { DeliveryResult } from '../sinks/sink.js';
import { withoutLease } from './claim.js';
import { isQuiescent } from './lifecycle.js';
import type { AlertState, PendingDelivery, StateStore } from './state-store.js';

export interface RecordOptions {
  /** Runs a non-retryable delivery stays pending before it is dropped. */
  giveUpAfterAttempts: number;
  /** Store writes in flight at once. */
  concurrency: number;
}

export interface RecordResult {
  /** Deliveries a sink accepted. */
  sent: number;
  /** Deliveries that failed (retryable or not). */
  failed: number;
  /** Non-retryable deliveries given up. */
  dropped: number;
  /** Deliveries still pending. */
  pending: number;
  /** Final writes that failed. */
  stateErrors: number;
}

/** A held state as it is after the send, its lease ended, and what happened to its deliveries. */
function settle(
  state: AlertState,
  results: ReadonlyMap<string, DeliveryResult>,
  giveUpAfterAttempts: number,
  logger: Logger,
): { final: AlertState; sent: number; failed: number; dropped: number } {
  let sent = 0;
  let failed = 0;
  let dropped = 0;
  const remaining: PendingDelivery[] = [];
  for (const p of state.pending) {
    const result = results.get(p.sink);
    if (result?.delivered.includes(p.notification.id)) {
      sent += 1;
      continue;
    }
    const failure = result?.failed.find((f) => f.id === p.notification.id) ?? {
      id: p.notification.id,
      retryable: true,
      reason: 'no result from sink',
    };
    failed += 1;
    const attempts = p.attempts + 1;
    const fields = {
      sink: p.sink,
      id: p.notification.id,
      kind: p.notification.kind,
      series: p.notification.labels,
      attempts,
      retryable: failure.retryable,
      reason: failure.reason,
    };
    if (!failure.retryable && attempts >= giveUpAfterAttempts) {
      logger.error('delivery given up: not retryable', fields);
      dropped += 1;
      continue;
    }
    logger.warn('delivery failed; kept pending for the next run', fields);
    remaining.push({ ...p, attempts, lastError: failure.reason });
  }
  return { final: { ...withoutLease(state), pending: remaining }, sent, failed, dropped };
}

/** Stores a settled state (deletes it when nothing is left to remember); false when the write failed. */
async function store(final: AlertState, deps: { store: StateStore; logger: Logger }): Promise<boolean> {
  const { logger } = deps;
  try {
    if (isQuiescent(final)) {
      if (!(await deps.store.delete(final))) logger.warn('alert state changed while delivering', { series: final.labels });
    } else if (!(await deps.store.put(final))) {
      // Our lease expired and another run took over: it will deliver what is pending.
      logger.warn('alert state changed while delivering', { series: final.labels });
    }
    return true;
  } catch (error) {
    // Delivered notifications stay recorded as pending and go out again after the lease.
    logger.error('alert state write after delivery failed', { series: final.labels, error: errorMessage(error) });
    return false;
  }
}

/** Records the send results in every held state. Never throws; failed writes are counted. */
export async function recordDeliveries(
  held: readonly AlertState[],
  results: ReadonlyMap<string, DeliveryResult>,
  options: RecordOptions,
  deps: { store: StateStore; logger: Logger },
): Promise<RecordResult> {
  const recorded = await mapLimit(held, options.concurrency, async (state) => {
    const { final, sent, failed, dropped } = settle(state, results, options.giveUpAfterAttempts, deps.logger);
    const stored = await store(final, deps);
    return { sent, failed, dropped, pending: final.pending.length, stateErrors: stored ? 0 : 1 };
  });
  const total: RecordResult = { sent: 0, failed: 0, dropped: 0, pending: 0, stateErrors: 0 };
  for (const r of recorded) {
    total.sent += r.sent;
    total.failed += r.failed;
    total.dropped += r.dropped;
    total.pending += r.pending;
    total.stateErrors += r.stateErrors;
  }
  return total;
}
