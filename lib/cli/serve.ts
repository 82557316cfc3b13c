/**
 * `aiops-detector serve`: the HTTP entry for Knative (lib/serve/server.ts). Configuration,
 * secrets, source, store and sinks are set up once at start; every CloudEvent then runs one
 * cycle, whose figures accumulate in the detector's own metrics (GET /metrics). SIGTERM (or
 * SIGINT) stops accepting, lets a running cycle finish within the grace period, and exits 0.
 */
import { parseArgs } from 'node:util';
import { InputError, errorMessage } from '../errors.js';
import { createSelfMetricsRegistry } from '../self-metrics/prom-client-registry.js';
import { createDetectorServer } from '../serve/server.js';
import { bootstrap } from './bootstrap.js';
import type { Command, CommandIo } from './command.js';

export const serveDefaults = { port: 8080, gracePeriodSeconds: 25 } as const;

const usage = `Usage: aiops-detector serve [--port N] [--host ADDRESS] [--config FILE] [--grace-period SECONDS]

Serves the detector over HTTP, as a Knative Service does: every CloudEvent POSTed to /
(binary or structured mode, e.g. from a PingSource) runs one detection cycle and is answered
with the run summary: 200 when everything succeeded, 500 when a detector, a delivery or the
write-back failed, 429 (Retry-After) while another cycle runs, 400 for a request that is not a
CloudEvent. GET /healthz and /readyz answer probes; GET /metrics has the detector's own
metrics (runs, failures, durations, pending notifications) for Prometheus to scrape.

Options:
  --port N               port to listen on (default: $PORT, else ${serveDefaults.port}; 0 picks a free one)
  --host ADDRESS         address to listen on (default: all interfaces)
  --config FILE          YAML configuration (default: $CONFIG_FILE, else the environment variables
                         PROMETHEUS_URL, PROM_QUERY, ... make one detector)
  --grace-period SECONDS on SIGTERM, how long a running cycle may still take before it is
                         aborted (default ${serveDefaults.gracePeriodSeconds}); pending notifications are kept

Exit status: 0 after a clean shutdown, 2 bad configuration or usage.
`;

function parseServeArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        config: { type: 'string' },
        'grace-period': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    if (error instanceof TypeError) throw new InputError(`serve: ${error.message}`, { cause: error });
    throw error;
  }
}

function wholeNumber(text: string, what: string, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value > max) throw new InputError(`serve: ${what} must be a whole number from 0 to ${max}, got '${text}'`);
  return value;
}

async function serve(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseServeArgs(argv);
  const portText = flags.port ?? io.env.PORT;
  const port = portText === undefined || portText === '' ? serveDefaults.port : wholeNumber(portText, flags.port !== undefined ? '--port' : 'PORT', 65_535);
  const graceMs =
    (flags['grace-period'] === undefined ? serveDefaults.gracePeriodSeconds : wholeNumber(flags['grace-period'], '--grace-period', 3600)) * 1000;

  const selfMetrics = createSelfMetricsRegistry();
  const started = await bootstrap(io, {
    ...(flags.config !== undefined ? { configPath: flags.config } : {}),
    logConfigurationAt: 'info',
    onCycle: (figures) => selfMetrics.record(figures),
  });
  const { config, logger } = started;
  const server = createDetectorServer(
    { detectorNames: config.detectors.map((d) => d.name) },
    {
      logger,
      metrics: selfMetrics,
      runCycle: ({ now, detectors, signal }) => started.runCycle({ now, signal, ...(detectors ? { detectors } : {}) }),
    },
  );
  try {
    let bound: number;
    try {
      bound = await server.listen(port, flags.host);
    } catch (error) {
      throw new InputError(`serve: cannot listen on ${flags.host ?? '*'}:${port}: ${errorMessage(error)}`, { cause: error });
    }
    logger.info('listening', { port: bound, ...(flags.host ? { host: flags.host } : {}), gracePeriodMs: graceMs });

    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    logger.info('shutdown requested', { reason: errorMessage(io.signal.reason) });
    const { cycleAborted } = await server.shutdown(graceMs);
    logger.info('stopped', { cycleAborted });
    return 0;
  } finally {
    // A listen failure leaves nothing to drain; close() is safe on a server that never listened.
    if (server.server.listening) await server.shutdown(0);
    await started.close();
  }
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve detection cycles over HTTP for Knative (CloudEvents from a PingSource)',
  usage,
  run: serve,
};
