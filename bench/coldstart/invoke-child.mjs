/**
 * One cold start, measured from inside a fresh Node process (bench/coldstart/run.ts spawns one
 * per sample): import the bundled handler, handle a first event, then a second (warm) one in
 * the same process, as Lambda reuses a container. Plain JavaScript so that no TypeScript
 * loader sits between Node and the bundle. Prints one JSON line and exits: with Lambda's
 * environment simulated (AWS_LAMBDA_RUNTIME_API), middy keeps its secret cache, which would
 * otherwise hold the process open.
 *
 *   node invoke-child.mjs /path/to/functions/lambda.mjs
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [bundle] = process.argv.slice(2);
const timeoutMs = 55_000;

/** Lambda's context, as much as the handler reads. */
function context(requestId) {
  const deadline = Date.now() + timeoutMs;
  return {
    awsRequestId: requestId,
    functionName: 'aiops-detector-bench-detect',
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

const event = {
  version: '0',
  id: 'bench',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  time: new Date().toISOString(),
  region: process.env.AWS_REGION,
  resources: [],
  detail: {},
};

// Lambda writes the handler's log lines to CloudWatch; here they would only slow the terminal.
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = () => true;
process.stderr.write = () => true;

try {
  // CPU time too: on a busy machine wall time mostly measures waiting for a core.
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const t0 = performance.now();
  const c0 = cpuMs();
  const { handler } = await import(pathToFileURL(bundle).href);
  const t1 = performance.now();
  const c1 = cpuMs();
  const first = await handler(event, context('bench-first'));
  const t2 = performance.now();
  const c2 = cpuMs();
  const warm = await handler(event, context('bench-warm'));
  const t3 = performance.now();
  const c3 = cpuMs();
  write(
    `${JSON.stringify({
      importMs: t1 - t0,
      firstMs: t2 - t1,
      warmMs: t3 - t2,
      importCpuMs: c1 - c0,
      firstCpuMs: c2 - c1,
      warmCpuMs: c3 - c2,
      firstSent: first.alertsSent,
      warmSent: warm.alertsSent,
      series: first.series,
    })}\n`,
  );
  process.exit(0);
} catch (error) {
  write(`${JSON.stringify({ error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) })}\n`);
  process.exit(1);
}
