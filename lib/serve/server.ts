/**
 * The HTTP entry for Knative (and any scheduler that can POST): one detection cycle per
 * CloudEvent, at most one at a time, and a graceful stop on SIGTERM. Plain node:http; the
 * cycle itself comes in as `runCycle` (lib/cli/serve.ts binds it to runDetection).
 *
 *   POST /            a CloudEvent (binary or structured) -> one cycle
 *                     200 run summary (every detector ran, every delivery and write succeeded)
 *                     500 run summary (a detector, a delivery or the write-back failed)
 *                     503 run summary (cut short by shutdown), or refused while shutting down
 *                     400 not a CloudEvent / bad data, 413 body too large
 *                     429 + Retry-After: a cycle is running already (no overlap)
 *   GET  /healthz     200 while the process serves (liveness)
 *   GET  /readyz      200, or 503 once shutting down (readiness)
 *   GET  /metrics     the detector's own metrics, Prometheus text format (lib/self-metrics)
 *   other paths 404, other methods 405 (with Allow)
 *
 * Knative's delivery retries 5xx and 429, so a failed or refused cycle is tried again.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AiopsError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { RunSummary } from '../run.js';
import { EventError, readCycleTrigger, type CycleTrigger } from './cloud-event.js';

/** What the server asks of a cycle. */
export interface CycleRequest {
  /** Evaluation time: the event's `time`, else the clock. */
  now: Date;
  detectors?: readonly string[];
  /** Aborted when the shutdown grace period is over. */
  signal: AbortSignal;
}

export interface DetectorServerOptions {
  /** Detector names of the configuration: an event naming others is refused (400). */
  detectorNames: readonly string[];
  /** Largest request body accepted (default 1 MiB; a PingSource event is a few hundred bytes). */
  maxBodyBytes?: number;
  /** Retry-After of a 429 while a cycle runs (default 10). */
  retryAfterSeconds?: number;
}

/** What GET /metrics answers (lib/self-metrics/prom-client-registry.ts). */
export interface MetricsExposition {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface DetectorServerDeps {
  runCycle: (request: CycleRequest) => Promise<RunSummary>;
  logger: Logger;
  /** Without it, GET /metrics answers 404. */
  metrics?: MetricsExposition;
  now?: () => Date;
}

export interface DetectorServer {
  /** Starts listening; port 0 picks a free one. Resolves with the bound port. */
  listen(port: number, host?: string): Promise<number>;
  /**
   * Stops accepting requests, lets a running cycle finish for up to `graceMs`, then aborts it
   * (undelivered notifications stay pending for the next cycle). Resolves once every
   * connection is closed. Calling it again returns the same promise.
   */
  shutdown(graceMs: number): Promise<{ cycleAborted: boolean }>;
  /** The underlying server (tests read its address). */
  readonly server: Server;
}

export const serverDefaults = { maxBodyBytes: 1024 * 1024, retryAfterSeconds: 10 } as const;

/** The run summary as answered: counts per detector, without per-series lists (those are logged). */
export function summaryBody(summary: RunSummary, trigger: CycleTrigger): Record<string, unknown> {
  const { results: _results, outcomes, ...totals } = summary;
  return {
    event: { id: trigger.id, source: trigger.source, type: trigger.type, ...(trigger.time ? { time: trigger.time.toISOString() } : {}) },
    ...totals,
    outcomes: outcomes.map(({ dispatch, ...outcome }) => ({
      ...outcome,
      ...(dispatch ? { sent: dispatch.sent, failed: dispatch.failed, pending: dispatch.pending } : {}),
    })),
  };
}

class BodyTooLargeError extends AiopsError {
  override name = 'BodyTooLargeError';
}

async function readBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw new BodyTooLargeError(`request body of ${declared} bytes exceeds ${maxBytes}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) throw new BodyTooLargeError(`request body exceeds ${maxBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const routes: Record<string, readonly string[]> = {
  '/': ['POST'],
  '/healthz': ['GET', 'HEAD'],
  '/readyz': ['GET', 'HEAD'],
  '/metrics': ['GET', 'HEAD'],
};

/** Builds the server; nothing listens until {@link DetectorServer.listen}. */
export function createDetectorServer(options: DetectorServerOptions, deps: DetectorServerDeps): DetectorServer {
  const maxBodyBytes = options.maxBodyBytes ?? serverDefaults.maxBodyBytes;
  const retryAfterSeconds = options.retryAfterSeconds ?? serverDefaults.retryAfterSeconds;
  const now = deps.now ?? (() => new Date());
  const known = new Set(options.detectorNames);
  const { logger } = deps;

  let shuttingDown = false;
  /** The cycle in flight, with the controller that cuts it short. */
  let running: { done: Promise<unknown>; controller: AbortController } | undefined;
  let shutdownPromise: Promise<{ cycleAborted: boolean }> | undefined;

  function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (response.headersSent || response.destroyed) return;
    const text = `${JSON.stringify(body)}\n`;
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      // Draining: the client must not reuse this connection.
      ...(shuttingDown ? { connection: 'close' } : {}),
      ...headers,
    });
    response.end(text);
  }

  async function sendMetrics(response: ServerResponse, exposition: MetricsExposition): Promise<void> {
    const text = await exposition.metrics();
    response.writeHead(200, { 'content-type': exposition.contentType, 'content-length': String(Buffer.byteLength(text)) });
    response.end(text);
  }

  async function handleEvent(request: IncomingMessage, response: ServerResponse): Promise<number> {
    if (shuttingDown) {
      send(response, 503, { error: 'shutting down: not starting a new cycle' }, { 'retry-after': String(retryAfterSeconds) });
      return 503;
    }
    let body: string;
    try {
      body = await readBody(request, maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        send(response, 413, { error: error.message });
        request.resume(); // drain what is left so the answer reaches the client
        return 413;
      }
      throw error;
    }
    let trigger: CycleTrigger;
    try {
      trigger = readCycleTrigger(request.headers, body);
      const unknown = (trigger.detectors ?? []).filter((name) => !known.has(name));
      if (unknown.length > 0) {
        throw new EventError(`no detector named ${unknown.map((n) => `'${n}'`).join(', ')}; configured: ${[...known].join(', ')}`);
      }
    } catch (error) {
      if (error instanceof EventError) {
        logger.warn('request refused: not a usable CloudEvent', { error: error.message });
        send(response, 400, { error: error.message });
        return 400;
      }
      throw error;
    }
    // Checked and claimed in the same tick: two events can never both start a cycle.
    if (running || shuttingDown) {
      const status = shuttingDown ? 503 : 429;
      logger.warn('event refused: a cycle is running', { event: trigger.id, source: trigger.source, status });
      send(
        response,
        status,
        { error: shuttingDown ? 'shutting down: not starting a new cycle' : 'a detection cycle is running; try again later' },
        { 'retry-after': String(retryAfterSeconds) },
      );
      return status;
    }
    const controller = new AbortController();
    const cycleNow = trigger.time ?? now();
    const cycle = deps.runCycle({
      now: cycleNow,
      signal: controller.signal,
      ...(trigger.detectors ? { detectors: trigger.detectors } : {}),
    });
    running = { done: cycle.catch(() => undefined), controller };
    logger.info('cycle started', {
      event: trigger.id,
      source: trigger.source,
      type: trigger.type,
      now: cycleNow.toISOString(),
      ...(trigger.detectors ? { detectors: trigger.detectors } : {}),
    });
    try {
      const summary = await cycle;
      const aborted = controller.signal.aborted;
      const status = summary.ok ? 200 : aborted ? 503 : 500;
      send(response, status, summaryBody(summary, trigger));
      return status;
    } catch (error) {
      // runDetection does not throw for a detector's failure; this is something else (a bug,
      // a store that cannot be listed): still a failed cycle for the sender to retry.
      const message = errorMessage(error);
      logger.error('cycle failed', { event: trigger.id, error: message });
      send(response, 500, { error: `detection cycle failed: ${message}` });
      return 500;
    } finally {
      running = undefined;
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const method = request.method ?? 'GET';
    let status: number;
    const allowed = routes[path];
    if (!allowed || (path === '/metrics' && !deps.metrics)) {
      send(response, 404, { error: `no such path: ${path}; POST / with a CloudEvent, GET /healthz, /readyz or /metrics` });
      status = 404;
    } else if (!allowed.includes(method)) {
      send(response, 405, { error: `${method} not allowed on ${path}` }, { allow: allowed.join(', ') });
      status = 405;
    } else if (path === '/healthz') {
      send(response, 200, { status: 'ok' });
      status = 200;
    } else if (path === '/readyz') {
      status = shuttingDown ? 503 : 200;
      send(response, status, { status: shuttingDown ? 'shutting down' : 'ok' });
    } else if (path === '/metrics' && deps.metrics) {
      await sendMetrics(response, deps.metrics);
      status = 200;
    } else {
      status = await handleEvent(request, response);
    }
    // Probes every few seconds would drown the log: only events and errors are logged at info.
    const fields = { method, path, status, durationMs: Math.round(performance.now() - started) };
    if (path === '/' || status >= 400) logger.info('request', fields);
    else logger.debug('request', fields);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger.error('request failed', { error: errorMessage(error) });
      send(response, 500, { error: 'internal error' });
    });
  });

  return {
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.removeListener('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    shutdown(graceMs) {
      shutdownPromise ??= (async () => {
        shuttingDown = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        let cycleAborted = false;
        const current = running;
        if (current) {
          logger.info('shutting down: waiting for the running cycle', { graceMs });
          const timer = setTimeout(() => {
            cycleAborted = true;
            logger.warn('shutdown grace period over: aborting the running cycle; undelivered notifications stay pending', { graceMs });
            current.controller.abort(new AiopsError(`shutdown: cycle aborted after the ${graceMs} ms grace period`));
          }, graceMs);
          await current.done;
          clearTimeout(timer);
        }
        // The last answer went out with `Connection: close`; anything idle goes now, and a
        // client that keeps a connection open past a second is cut off.
        server.closeIdleConnections();
        const force = setTimeout(() => server.closeAllConnections(), 1000);
        await closed;
        clearTimeout(force);
        return { cycleAborted };
      })();
      return shutdownPromise;
    },
  };
}
