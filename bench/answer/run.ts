/**
 * `npm run bench:answer [-- --series 20000 --points 120 --runs 3 --heap-mb 200 --cold --built --json]`:
 * what one very large `query_range` answer costs (issue 15: 20,000 series, about 60 MB). A
 * local server sends the answer (body.ts); each measurement is one query in a fresh process
 * (query.ts), so its peak RSS is the query's alone:
 *
 * - `before`: the whole body as text, `JSON.parse`, then series (the code path before
 *   streaming, test/support/whole-answer.ts);
 * - `after`: the Prometheus source reading the stream, limits raised so it reads it all;
 * - `limits`: the Prometheus source with the default limits (fails, and stops reading).
 *
 * With `--cold` the server answers the range each request asks for (as Prometheus does), so
 * the source can read an answer over `maxResponseBytes` in halves of its range: a cold read of
 * a long window (issue 13: 10,000 series of one day, `--series 10000 --points 1441`). `before`
 * is left out then (it holds the whole body as one string).
 *
 * Then `aiops-detector run` runs once with `--max-old-space-size` (default 200 MB) against the
 * same answer, a second, small detector beside it, and its exit code, error line, summary line
 * and peak RSS are printed. `--max-series` / `--max-response-bytes` set its limits (to see what
 * happens without them); `--built` runs the build in dist/ (`npm run build`) as deployed,
 * otherwise the sources through tsx (whose compiler adds about 30 MB of RSS).
 */
import { fork, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from '../stats.js';
import { answerEndS, largeAnswer, rangeAnswer, startAnswerServer, stepSeconds, type AnswerServer } from './body.js';
import type { QueryMode, QueryReport } from './query.js';

const mb = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(0);

function runQuery(url: string, mode: QueryMode, points: number): Promise<QueryReport> {
  const script = fileURLToPath(new URL('./query.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = fork(script, ['--url', url, '--mode', mode, '--points', String(points)], {
      execArgv: process.execArgv,
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`query.ts (${mode}) exited with code ${code}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as QueryReport);
    });
  });
}

interface CliOutcome {
  exitCode: number | null;
  signal: string | null;
  errorLine?: string;
  summaryLine?: string;
  resultLines: number;
  wallMs: number;
  /** Peak RSS the CLI reported at exit; absent when it was killed. */
  peakRssBytes?: number;
}

/** `aiops-detector run` in a child with a small heap, against the server; two detectors. */
async function runCli(server: AnswerServer, points: number, heapMb: number, limits: string[], built: boolean): Promise<CliOutcome> {
  const dir = await mkdtemp(join(tmpdir(), 'aiops-bench-answer-'));
  try {
    const config = join(dir, 'config.yaml');
    await writeFile(
      config,
      [
        'prometheus:',
        `  url: ${server.url}`,
        '  retries: 0',
        ...limits,
        'detectors:',
        '  - name: fleet',
        '    query: fleet',
        `    windowMinutes: ${points}`,
        '  - name: small',
        '    query: small',
        `    windowMinutes: ${points}`,
        'alerts:',
        '  stateStore: memory',
        '',
      ].join('\n'),
    );
    // The built CLI (`npm run build`) when asked, as deployed; else the sources through tsx.
    const peakRss = new URL('./peak-rss.mjs', import.meta.url).href;
    const cli = built
      ? ['--import', peakRss, fileURLToPath(new URL('../../bin/aiops-detector.js', import.meta.url))]
      : [...process.execArgv, '--import', peakRss, fileURLToPath(new URL('./cli-entry.ts', import.meta.url))];
    const now = new Date(answerEndS * 1000).toISOString();
    const started = performance.now();
    const child = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, ...cli, 'run', '--config', config, '--now', now], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const [exitCode, signal] = await new Promise<[number | null, string | null]>((resolve) =>
      child.once('exit', (code, sig) => resolve([code, sig])),
    );
    const lines = stdout.split('\n').filter((line) => line.startsWith('{'));
    const rssLine = stderr.split('\n').find((line) => line.includes('"bench":"peak-rss"'));
    return {
      ...(rssLine ? { peakRssBytes: (JSON.parse(rssLine) as { peakRssBytes: number }).peakRssBytes } : {}),
      exitCode,
      signal,
      errorLine: stderr.split('\n').find((line) => line.includes('detector failed')),
      summaryLine: lines.find((line) => line.includes('"summary":true')),
      resultLines: lines.filter((line) => line.includes('"detector"')).length,
      wallMs: performance.now() - started,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface ModeSummary {
  mode: QueryMode;
  wallMs: number;
  peakRssBytes: number;
  /** Peak RSS minus the RSS before the query. */
  growthBytes: number;
  /** Bytes the server wrote before the client finished or hung up, over all requests. */
  sentBytes: number;
  /** Requests the query made. */
  requests: number;
  series: number;
  error?: string;
}

function summarise(mode: QueryMode, reports: readonly QueryReport[], transfers: readonly { bytes: number; requests: number }[]): ModeSummary {
  return {
    mode,
    wallMs: median(reports.map((r) => r.wallMs)),
    peakRssBytes: median(reports.map((r) => r.peakRssBytes)),
    growthBytes: median(reports.map((r) => r.peakRssBytes - r.startRssBytes)),
    sentBytes: median(transfers.map((t) => t.bytes)),
    requests: median(transfers.map((t) => t.requests)),
    series: reports[0]?.series ?? 0,
    ...(reports[0]?.error !== undefined ? { error: reports[0].error } : {}),
  };
}

/** The table of the modes, with ratios against the first (`before`; `after` with `--cold`). */
function table(rows: readonly ModeSummary[]): string[] {
  const base = rows[0];
  if (!base) return [];
  const ratio = `${base.mode}/x`;
  const lines = [`mode     wall ms  peak RSS MB  RSS growth MB  sent MB  requests  series  ${`wall ${ratio}`.padStart(13)}  ${`RSS ${ratio}`.padStart(12)}`];
  for (const row of rows) {
    lines.push(
      [
        row.mode.padEnd(7),
        row.wallMs.toFixed(0).padStart(8),
        mb(row.peakRssBytes).padStart(12),
        mb(row.growthBytes).padStart(14),
        mb(row.sentBytes).padStart(8),
        String(row.requests).padStart(9),
        String(row.series).padStart(7),
        `${(base.wallMs / row.wallMs).toFixed(2)}x`.padStart(14),
        `${(base.peakRssBytes / row.peakRssBytes).toFixed(2)}x`.padStart(13),
      ].join(' '),
    );
  }
  for (const row of rows) if (row.error !== undefined) lines.push(`${row.mode}: ${row.error}`);
  return lines;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      series: { type: 'string', default: '20000' },
      points: { type: 'string', default: '120' },
      // Queries per mode; 0 runs the CLI only.
      runs: { type: 'string', default: '3' },
      'heap-mb': { type: 'string', default: '200' },
      // Limits of the CLI run (absent: the configuration's defaults), to see what else happens.
      'max-series': { type: 'string' },
      'max-response-bytes': { type: 'string' },
      // Answer the range each request asks for, so an answer over the limit is read in halves.
      cold: { type: 'boolean', default: false },
      // The CLI run uses the build in dist/ (as deployed) instead of the sources through tsx.
      built: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const points = Number(values.points);
  const runs = Number(values.runs);
  const series = Number(values.series);
  const cold = values.cold;
  const modes: readonly QueryMode[] = cold ? ['after', 'limits'] : ['before', 'after', 'limits'];
  const firstS = answerEndS - (points - 1) * stepSeconds;
  const large = cold ? undefined : largeAnswer(series, points);
  let answerBytes = large?.length ?? 0;
  if (!large) for (const part of rangeAnswer(series, firstS, answerEndS)) answerBytes += part.length;
  const small = largeAnswer(3, points);
  const server = await startAnswerServer((query, range) =>
    query !== 'fleet' ? small : (large ?? rangeAnswer(series, range.startS, range.endS)),
  );
  const reports = new Map<QueryMode, QueryReport[]>(modes.map((mode) => [mode, []]));
  const transfers = new Map<QueryMode, { bytes: number; requests: number }[]>(modes.map((mode) => [mode, []]));
  let cli: CliOutcome;
  try {
    for (let run = 0; run < runs; run++) {
      // Interleaved, so a burst of load on the shared machine hits every mode alike.
      for (const mode of modes) {
        const first = server.transfers.length;
        reports.get(mode)?.push(await runQuery(server.url, mode, points));
        const made = server.transfers.slice(first);
        transfers.get(mode)?.push({ bytes: made.reduce((sum, t) => sum + t.bytesWritten, 0), requests: made.length });
      }
    }
    const limits = [
      ...(values['max-series'] !== undefined ? [`  maxSeries: ${values['max-series']}`] : []),
      ...(values['max-response-bytes'] !== undefined ? [`  maxResponseBytes: ${values['max-response-bytes']}`] : []),
    ];
    cli = await runCli(server, points, Number(values['heap-mb']), limits, values.built);
  } finally {
    await server.close();
  }

  const rows = runs > 0 ? modes.map((mode) => summarise(mode, reports.get(mode) ?? [], transfers.get(mode) ?? [])) : [];
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ node: process.version, answerBytes, cold, modes: rows, cli })}\n`);
    return;
  }
  const out: string[] = [];
  if (rows.length > 0) {
    out.push(
      `One query_range answer of ${series} series x ${points} points (${mb(answerBytes)} MB${cold ? ', answered per range' : ''}), median of ${runs} runs (node ${process.version})`,
      ...table(rows),
      '',
    );
  }
  const rss = cli.peakRssBytes === undefined ? 'none reported' : `${mb(cli.peakRssBytes)} MB`;
  out.push(
    `aiops-detector run (${values.built ? 'dist/' : 'sources'}), --max-old-space-size=${values['heap-mb']}, detectors "fleet" (this answer) and "small" (3 series):`,
    `  exit ${cli.exitCode ?? `signal ${cli.signal}`}, ${cli.resultLines} result lines, ${(cli.wallMs / 1000).toFixed(1)} s, peak RSS ${rss}`,
    `  error line: ${cli.errorLine ?? '(none)'}`,
    `  summary:    ${cli.summaryLine ?? '(none)'}`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
