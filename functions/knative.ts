/**
 * Knative entry point: the HTTP server for PingSource CloudEvents, i.e. `aiops-detector serve`
 * (lib/cli/serve.ts, lib/serve/). Wiring only: `node functions/knative.js [--port N]` takes the
 * same options; the container image runs `aiops-detector serve` (infra/knative/service.yaml).
 */
import { pathToFileURL } from 'node:url';
import { main } from './cli.js';

/** Runs the server until SIGTERM; resolves with the exit code. */
export function serveKnative(argv: string[] = process.argv.slice(2)): Promise<number> {
  return main(['serve', ...argv]);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await serveKnative();
}
