/**
 * The measured process of `npm run bench:cycle` (started by run.ts, which owns the servers):
 * builds the runtime from a config exactly as `aiops-detector run` does, runs detection
 * cycles, and prints one JSON line with the timings, peak RSS and the forest baseline. Being
 * its own process, its peak RSS is the detector's, not the benchmark harness's.
 *
 * Instrumentation never changes what the run does: the source, store and sink are wrapped only
 * to time their calls (and to keep the fetched series for the baseline below).
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { parseArgs } from 'node:util';
import axios from 'axios';
import { parseConfig } from '../../lib/config/index.js';
import { evaluateSeries } from '../../lib/detect/evaluate.js';
import { buildFeatureMatrix } from '../../lib/detect/features.js';
import { detectionWindow } from '../../lib/detect/window.js';
import { fitForest } from '../../lib/forest/index.js';
import { createLogger } from '../../lib/log.js';
import type { StateStore } from '../../lib/alerts/state-store.js';
import { runDetection, type RunSummary } from '../../lib/run.js';
import { createRuntime } from '../../lib/runtime.js';
import type { AlertSink } from '../../lib/sinks/sink.js';
import type { Series } from '../../lib/series/index.js';
import type { MetricSource } from '../../lib/sources/source.js';
import { benchEndS, benchMetric, stepSeconds } from './data.js';
import { median } from '../stats.js';

export interface CycleMeasurement {
  cycle: number;
  /** runDetection's own duration (what the summary line reports). */
  durationMs: number;
  /** createRuntime + runDetection + close, as a scheduled invocation spends them. */
  wallMs: number;
  timingsMs: RunSummary['timingsMs'];
  /** Time inside sink.send (the HTTP POSTs), part of timingsMs.deliver. */
  sinkSendMs: number;
  /** Wall time while at least one state store call was in flight, part of timingsMs.deliver. */
  storeMs: number;
  storeCalls: number;
  /** CPU time (user + system) of the process during createRuntime + runDetection + close. */
  cpuMs: number;
  series: number;
  anomalies: number;
  alertsSent: number;
  failures: number;
  resultLines: number;
  /** Samples Prometheus returned for the cycle's query. */
  samplesRead: number;
  /** The summary's `state` (undefined without detector state). */
  state?: RunSummary['state'];
}

export interface CycleReport {
  node: string;
  cycles: CycleMeasurement[];
  /** Raw HTTP GET of the same query_range (no JSON parse), ms: before the first cycle and after. */
  fetchColdMs: number;
  fetchWarmMs: number[];
  responseBytes: number;
  /** process.resourceUsage().maxRSS after the cycles, bytes. */
  peakRssBytes: number;
  /** RSS sampled every 5 ms during the first cycle, bytes. */
  sampledPeakRssBytes: number;
  rssBeforeBytes: number;
  /** Whether the cycles kept detector state (lib/model) between them. */
  stateful: boolean;
  /** The detector state on disk after the last cycle: bytes of shards (points) and of models, per series. */
  stateBytes?: { points: number; models: number; series: number };
  /** bench:forest's measure on one of the cycle's own windows: fit + score, median ms. */
  forest: { points: number; features: number; trees: number; maxSamples: number; medianMs: number; runs: number; cpuMsPerRun: number };
  /**
   * The cycle's score step again (evaluateSeries over every fetched series, as runDetection
   * calls it), timed by CPU right beside the forest baseline, so the ratio holds on a busy box.
   */
  evaluateCpuMsPerSeries: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      prometheus: { type: 'string' },
      webhook: { type: 'string' },
      cycles: { type: 'string', default: '2' },
      'window-minutes': { type: 'string', default: '240' },
      stateless: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.prometheus || !values.webhook) throw new Error('cycle.ts needs --prometheus URL --webhook URL');
  const cycles = Number(values.cycles);
  const windowMinutes = Number(values['window-minutes']);
  const stateDir = await mkdtemp(join(tmpdir(), 'aiops-bench-cycle-'));
  const rssBeforeBytes = process.memoryUsage.rss();
  const stateful = !values.stateless;
  const modelDir = join(stateDir, 'model');

  // What a user would write: one detector over every series, defaults for the rest.
  const config = parseConfig(
    {
      prometheus: { url: values.prometheus },
      detectors: [{ name: 'bench', query: benchMetric, windowMinutes, stepSeconds }],
      alerts: { stateStore: { type: 'file', path: join(stateDir, 'state.json') }, sinks: [{ type: 'webhook', url: values.webhook }] },
      state: stateful ? { store: { type: 'file', directory: modelDir } } : { enabled: false },
    },
    { source: 'bench:cycle' },
  );
  const detector = config.detectors[0]!;
  // Cycle k runs k - 1 minutes after the first, when Prometheus holds k - 1 newer samples.
  const nowOf = (cycle: number): Date => new Date((benchEndS + (cycle - 1) * stepSeconds) * 1000);
  const now = nowOf(1);
  const startS = benchEndS - windowMinutes * 60;
  const rangeUrl = `${values.prometheus}/api/v1/query_range?query=${encodeURIComponent(benchMetric)}&start=${startS}&end=${benchEndS}&step=${stepSeconds}`;

  const rawFetch = async (): Promise<{ ms: number; bytes: number }> => {
    const started = performance.now();
    const response = await axios.get<string>(rangeUrl, { responseType: 'text', transformResponse: [(d: unknown) => d] });
    return { ms: performance.now() - started, bytes: response.data.length };
  };
  // Cold: the first query after Prometheus loaded its blocks, as the first cycle would see it.
  // Measured before the cycle so the cycle itself meets a warm Prometheus, like a scheduled run.
  const cold = await rawFetch();

  let lastSeries: Series[] = [];
  let samplesRead = 0;
  const measurements: CycleMeasurement[] = [];
  let sampledPeak = 0;
  for (let cycle = 1; cycle <= cycles; cycle++) {
    let resultLines = 0;
    const logger = createLogger({
      level: 'warn',
      out: () => {
        resultLines++;
      },
      err: (line) => process.stderr.write(`${line}\n`),
    });
    let sampler: NodeJS.Timeout | undefined;
    if (cycle === 1) {
      sampler = setInterval(() => {
        sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss());
      }, 5);
    }
    const cpuStarted = process.cpuUsage();
    const wallStarted = performance.now();
    const runtime = await createRuntime(config, { logger, env: {}, readFile: () => Promise.reject(new Error('no files')) });
    let sinkSendMs = 0;
    // Store calls run concurrently (16 at a time): count the time any is in flight, not the sum.
    let storeMs = 0;
    let storeCalls = 0;
    let storeInFlight = 0;
    let storeBusySince = 0;
    const storeCall = async <T>(work: () => Promise<T>): Promise<T> => {
      storeCalls++;
      if (storeInFlight++ === 0) storeBusySince = performance.now();
      try {
        return await work();
      } finally {
        if (--storeInFlight === 0) storeMs += performance.now() - storeBusySince;
      }
    };
    const timed = async <T>(add: (ms: number) => void, work: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      try {
        return await work();
      } finally {
        add(performance.now() - started);
      }
    };
    const source: MetricSource = {
      description: runtime.source.description,
      queryRange: async (query, options) => {
        lastSeries = await runtime.source.queryRange(query, options);
        for (const s of lastSeries) samplesRead += s.values.length + s.droppedNonFinite;
        return lastSeries;
      },
    };
    const sinks: AlertSink[] = runtime.sinks.map((sink) => ({
      name: sink.name,
      send: (batch, options) => timed((ms) => (sinkSendMs += ms), () => sink.send(batch, options)),
    }));
    const store = runtime.store;
    const timedStore: StateStore = {
      description: store.description,
      list: (d) => storeCall(() => store.list(d)),
      put: (s) => storeCall(() => store.put(s)),
      delete: (s) => storeCall(() => store.delete(s)),
    };
    samplesRead = 0;
    const summary = await runDetection({ ...runtime, config, source, store: timedStore, sinks, logger }, { now: nowOf(cycle) });
    await runtime.close();
    const wallMs = performance.now() - wallStarted;
    const cpu = process.cpuUsage(cpuStarted);
    if (sampler) clearInterval(sampler);
    measurements.push({
      cycle,
      durationMs: summary.durationMs,
      wallMs,
      timingsMs: summary.timingsMs,
      sinkSendMs,
      storeMs,
      storeCalls,
      cpuMs: (cpu.user + cpu.system) / 1000,
      series: summary.series,
      anomalies: summary.anomalies,
      alertsSent: summary.alertsSent,
      failures: summary.failures,
      resultLines,
      samplesRead,
      ...(summary.state ? { state: summary.state } : {}),
    });
  }
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;

  const warm: number[] = [];
  let bytes = cold.bytes;
  for (let i = 0; i < 5; i++) {
    const f = await rawFetch();
    warm.push(f.ms);
    bytes = f.bytes;
  }

  // bench:forest's measure (fit + score of one window, 100 trees, psi 256, every row scored,
  // median after a warm-up) on a whole window of the first cycle (the stateful cycles read only
  // new points, so the window is read again here, outside the measured cycles).
  const baselineRuntime = await createRuntime(config, { logger: createLogger({ level: 'error' }), env: {}, readFile: () => Promise.reject(new Error('no files')) });
  const firstWindow = detectionWindow(detector, now.getTime());
  lastSeries = await baselineRuntime.source.queryRange({ query: detector.query, ...firstWindow, stepSeconds: detector.stepSeconds });
  await baselineRuntime.close();
  const window = lastSeries[0];
  if (!window) throw new Error('the cycle returned no series');
  const matrix = buildFeatureMatrix(window, detector.features);
  for (let i = 0; i < 30; i++) fitForest(matrix, { trees: detector.trees, maxSamples: detector.maxSamples, seed: i }).score(matrix);
  const times: number[] = [];
  let check = 0;
  const forestCpuStarted = process.cpuUsage();
  for (let run = 0; run < 200; run++) {
    const started = performance.now();
    const forest = fitForest(matrix, { trees: detector.trees, maxSamples: detector.maxSamples, seed: 1000 + run });
    check += forest.score(matrix)[0]!;
    times.push(performance.now() - started);
  }
  const forestCpu = process.cpuUsage(forestCpuStarted);
  if (!Number.isFinite(check)) throw new Error('non-finite score');

  const evaluateCpuStarted = process.cpuUsage();
  const windowEnd = detectionWindow(detector, now.getTime()).endMs;
  for (const series of lastSeries) evaluateSeries(series, detector, { windowEndMs: windowEnd });
  const evaluateCpu = process.cpuUsage(evaluateCpuStarted);

  const stateBytes = stateful ? await stateBytesOnDisk(modelDir, measurements.at(-1)?.series ?? 0) : undefined;
  await rm(stateDir, { recursive: true, force: true });
  const report: CycleReport = {
    node: process.version,
    stateful,
    ...(stateBytes ? { stateBytes } : {}),
    cycles: measurements,
    fetchColdMs: cold.ms,
    fetchWarmMs: warm,
    responseBytes: bytes,
    peakRssBytes,
    sampledPeakRssBytes: sampledPeak,
    evaluateCpuMsPerSeries: (evaluateCpu.user + evaluateCpu.system) / 1000 / lastSeries.length,
    rssBeforeBytes,
    forest: {
      points: window.values.length,
      features: detector.features.length,
      trees: detector.trees,
      maxSamples: detector.maxSamples,
      medianMs: median(times),
      runs: times.length,
      cpuMsPerRun: (forestCpu.user + forestCpu.system) / 1000 / times.length,
    },
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/** Bytes per series of the state's shards and models under `directory`. */
async function stateBytesOnDisk(directory: string, series: number): Promise<CycleReport['stateBytes']> {
  let points = 0;
  let models = 0;
  for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const { size } = await stat(join(entry.parentPath, entry.name));
    if (entry.parentPath.endsWith(`${sep}models`)) models += size;
    else points += size;
  }
  return { points: points / Math.max(1, series), models: models / Math.max(1, series), series };
}

await main();
