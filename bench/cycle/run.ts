/**
 * `npm run bench:cycle [-- --series 1000 --points 240 --cycles 2 --json]`: one detection run
 * against a real Prometheus (test/support/prometheus-server.ts, history backfilled with
 * promtool) holding 1,000 series x 240 points (step 60 s), one detector over all of them, a
 * local webhook receiver as the sink and three series that spike, so delivery is exercised.
 *
 * The cycle runs in a child process (cycle.ts), so its peak RSS is the detector's alone; this
 * process owns Prometheus and the receiver, and prints the time split, peak RSS and the
 * per-series scoring time beside bench:forest's measure, against the targets of issue 3.
 */
import { fork } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startPrometheus } from '../../test/support/prometheus-server.js';
import { startWebhookReceiver } from '../../test/support/webhook-receiver.js';
import type { CycleReport } from './cycle.js';
import { anomalousIndexes, benchSeries } from './data.js';
import { median } from '../stats.js';

const targets = { cycleMs: 3_000, peakRssMb: 300, scoringRatio: 1.5 } as const;

function runCycleProcess(args: string[]): Promise<CycleReport> {
  const script = fileURLToPath(new URL('./cycle.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = fork(script, args, { execArgv: process.execArgv, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`cycle.ts exited with code ${code}`));
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as CycleReport);
      } catch (error) {
        reject(new Error(`cycle.ts printed no report: ${stdout.slice(0, 500)}`, { cause: error }));
      }
    });
  });
}

const mb = (bytes: number): number => bytes / (1024 * 1024);
const f1 = (n: number): string => n.toFixed(1);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      series: { type: 'string', default: '1000' },
      points: { type: 'string', default: '240' },
      cycles: { type: 'string', default: '2' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const seriesCount = Number(values.series);
  const points = Number(values.points);

  let started = performance.now();
  const history = benchSeries(seriesCount, points);
  const prometheus = await startPrometheus({ series: history });
  const setupMs = performance.now() - started;
  const receiver = await startWebhookReceiver();
  let report: CycleReport;
  try {
    started = performance.now();
    report = await runCycleProcess([
      '--prometheus',
      prometheus.url,
      '--webhook',
      `${receiver.baseUrl}/hooks/bench`,
      '--cycles',
      values.cycles,
      // 240 one-minute slots before the newest sample hold the 240 samples.
      '--window-minutes',
      String(points),
    ]);
  } finally {
    await receiver.close();
    await prometheus.stop();
  }
  const delivered = receiver.accepted().reduce((n, r) => n + ((JSON.parse(r.body) as { notifications: unknown[] }).notifications.length), 0);

  if (values.json) {
    process.stdout.write(`${JSON.stringify({ setupMs, delivered, requests: receiver.requests.length, ...report })}\n`);
    return;
  }

  const first = report.cycles[0]!;
  const fetchMs = median(report.fetchWarmMs);
  const parseMs = Math.max(0, first.timingsMs.query - fetchMs);
  const decideMs = Math.max(0, first.timingsMs.deliver - first.sinkSendMs);
  const otherMs = Math.max(0, first.durationMs - first.timingsMs.query - first.timingsMs.score - first.timingsMs.deliver);
  const perSeriesMs = first.timingsMs.score / first.series;
  const ratio = perSeriesMs / report.forest.medianMs;
  const peakMb = mb(report.peakRssBytes);

  const out: string[] = [];
  const load = loadavg()[0]!;
  out.push(
    `bench:cycle  ${seriesCount} series x ${points} points (step 60 s), 1 detector, default settings ` +
      `(100 trees, value + diff), webhook sink; node ${report.node}; ` +
      `load average ${load.toFixed(1)} on ${availableParallelism()} CPUs`,
  );
  out.push(
    `setup (generate + promtool backfill + Prometheus start): ${f1(setupMs)} ms; ` +
      `query_range answer ${f1(report.responseBytes / 1e6)} MB; spiking series ${anomalousIndexes.length}`,
  );
  out.push('');
  out.push('cycle 1 (fresh process, empty state)      ms');
  const row = (label: string, ms: number, note = ''): string => `  ${label.padEnd(38)}${f1(ms).padStart(8)}${note ? `   ${note}` : ''}`;
  out.push(row('query   (HTTP fetch of query_range)', fetchMs, 'raw GET of the same request, median of 5, warm'));
  out.push(row('parse   (JSON + matrix -> series)', parseMs, 'summary query time minus the fetch'));
  out.push(row('score   (features, fit, score, threshold)', first.timingsMs.score, `${first.series} series`));
  out.push(row('decide  (alert lifecycle + state store)', decideMs, `${first.storeCalls} state store calls, in flight ${f1(first.storeMs)} ms`));
  out.push(row('deliver (webhook POSTs)', first.sinkSendMs, `${first.alertsSent} notifications sent`));
  out.push(row('other   (result lines, summary)', otherMs));
  out.push(row('cycle (runDetection duration_ms)', first.durationMs));
  out.push(row('with createRuntime + close', first.wallMs));
  out.push(row('CPU time of the process (user + system)', first.cpuMs, 'of the line above; < wall time when other processes compete'));
  for (const later of report.cycles.slice(1)) {
    out.push(
      `cycle ${later.cycle} (same process, same window, state kept): ${f1(later.durationMs)} ms ` +
        `(query ${f1(later.timingsMs.query)}, score ${f1(later.timingsMs.score)}, deliver ${f1(later.timingsMs.deliver)}), ` +
        `${later.alertsSent} sent`,
    );
  }
  out.push('');
  out.push(
    `peak RSS of the cycle process: ${f1(peakMb)} MB (maxRSS; sampled during cycle 1: ${f1(mb(report.sampledPeakRssBytes))} MB, ` +
      `before the cycle: ${f1(mb(report.rssBeforeBytes))} MB)`,
  );
  out.push(`first fetch after Prometheus started (cold): ${f1(report.fetchColdMs)} ms`);
  out.push('');
  out.push(
    `scoring per series: cycle ${perSeriesMs.toFixed(3)} ms  vs  bench:forest equivalent ${report.forest.medianMs.toFixed(3)} ms ` +
      `(fit + score, ${report.forest.points} points, ${report.forest.features} features, ${report.forest.trees} trees, ` +
      `median of ${report.forest.runs}, CPU ${report.forest.cpuMsPerRun.toFixed(3)} ms a run)  ratio ${ratio.toFixed(2)}`,
  );
  const cpuRatio = report.evaluateCpuMsPerSeries / report.forest.cpuMsPerRun;
  out.push(
    `  by CPU time, back to back: evaluateSeries ${report.evaluateCpuMsPerSeries.toFixed(3)} ms a series  vs  forest ` +
      `${report.forest.cpuMsPerRun.toFixed(3)} ms a run  ratio ${cpuRatio.toFixed(2)}`,
  );
  out.push(
    `anomalies ${first.anomalies}, delivered to the receiver ${delivered} notifications in ${receiver.requests.length} requests, ` +
      `failures ${first.failures}, result lines ${first.resultLines}`,
  );
  out.push('');
  const verdict = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
  out.push('target                         measured   limit   ');
  out.push(`  whole cycle                  ${f1(first.durationMs).padStart(8)} ms  <= ${targets.cycleMs} ms   ${verdict(first.durationMs <= targets.cycleMs)}`);
  out.push(`  peak RSS                     ${f1(peakMb).padStart(8)} MB  <= ${targets.peakRssMb} MB    ${verdict(peakMb <= targets.peakRssMb)}`);
  out.push(`  scoring / bench:forest       ${ratio.toFixed(2).padStart(8)}     <= ${targets.scoringRatio}       ${verdict(ratio <= targets.scoringRatio)}   (wall time)`);
  out.push(`  scoring / bench:forest       ${cpuRatio.toFixed(2).padStart(8)}     <= ${targets.scoringRatio}       ${verdict(cpuRatio <= targets.scoringRatio)}   (CPU time)`);
  if (first.cpuMs < first.wallMs * 0.8) {
    out.push(`note: the cycle got ${f1((100 * first.cpuMs) / first.wallMs)} % of a CPU (other processes competed); its CPU time is ${f1(first.cpuMs)} ms`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
