/**
 * `npm run bench:nab`: replays every file of the NAB development subset (../shared/nab)
 * through the detector with ONE set of settings (the defaults users get), scores the output
 * with the project's NAB scorer and prints it next to the published detectors.
 *
 *   npm run bench:nab                            # our detector, default settings
 *   npm run bench:nab -- --reference numenta     # baseline: published HTM scores (checks the harness)
 *   npm run bench:nab -- --files 'realKnownCause/*' --set windowMinutes=1440
 *   npm run bench:nab -- --json --write-results /tmp/nab
 *   npm run bench:nab -- --seeds 3                # also replay with 2 more detector names (reseeded forests)
 *   npm run bench:nab -- --half a --set minScore=0.6   # tune on half a, then report with --half b
 *
 * Options: --reference NAME, --files PATTERNS (comma-separated, `*` wildcard), --half a|b (every
 * other file of each category, by name: choose settings on one half, report on the other), --set KEY=JSON
 * (repeatable, experiment overrides of the detector defaults, applied to every file),
 * --signal score|alert, --workers N (default 2; 0 = in process), --nab-dir DIR, --json,
 * --write-results DIR, --seeds N (default 1: the forests are seeded from the detector's name, and
 * the score moves by several points with it; N > 1 replays N - 1 more names, `nab-2`, ..., and
 * prints the standard score of each and their mean, so two settings are compared on more than
 * one draw. The table and per-file results are those of the first, `nab`).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { DetectorConfig } from '../../lib/config/config.js';
import { AiopsError, InputError, errorMessage } from '../../lib/errors.js';
import {
  DEFAULT_NAB_DIR,
  listNabFiles,
  nabHalfOf,
  readNabDataFile,
  readNabWindows,
  readPublishedScores,
  readReferenceScores,
  type NabDataFile,
  type NabHalf,
  type PublishedScore,
} from './corpus.js';
import { incidentRows, pagerView, pagesFromScores, type PagerView } from './pager.js';
import { NEVER_THRESHOLD, scoreNabCorpus, type NabProfileResult } from './scorer.js';
import { detectorSettings, produceScores, type FileScores, type ScoreSource } from './score-source.js';
import type { WorkerRequest, WorkerResponse } from './worker.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

interface RunOptions {
  readonly nabDir: string;
  readonly source: ScoreSource;
  readonly patterns: readonly string[];
  /** One half of the files (see `nabHalfOf` in corpus.ts), for settings chosen on the other. */
  readonly half: NabHalf | undefined;
  readonly workers: number;
  readonly json: boolean;
  readonly writeResultsDir: string | undefined;
  readonly seeds: number;
}

function parseOptions(argv: readonly string[]): RunOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      reference: { type: 'string' },
      files: { type: 'string' },
      half: { type: 'string' },
      set: { type: 'string', multiple: true },
      signal: { type: 'string', default: 'score' },
      workers: { type: 'string', default: '2' },
      'nab-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      'write-results': { type: 'string' },
      seeds: { type: 'string', default: '1' },
    },
    strict: true,
  });
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 0) throw new InputError(`--workers must be a whole number >= 0, got ${values.workers}`);
  const seeds = Number(values.seeds);
  if (!Number.isInteger(seeds) || seeds < 1) throw new InputError(`--seeds must be a whole number >= 1, got ${values.seeds}`);
  if (values.signal !== 'score' && values.signal !== 'alert') {
    throw new InputError(`--signal must be score or alert, got ${values.signal}`);
  }
  const overrides: Record<string, unknown> = {};
  for (const assignment of values.set ?? []) {
    const at = assignment.indexOf('=');
    if (at <= 0) throw new InputError(`--set expects KEY=VALUE, got "${assignment}"`);
    const key = assignment.slice(0, at);
    const raw = assignment.slice(at + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      // Not JSON: a bare word such as `auto` is meant as a string.
      value = raw;
    }
    overrides[key] = value;
  }
  if (values.reference !== undefined && (Object.keys(overrides).length > 0 || seeds > 1)) {
    throw new InputError('--set and --seeds apply to our detector, not to --reference scores');
  }
  if (seeds > 1 && 'name' in overrides) throw new InputError('--seeds chooses the detector names itself: drop --set name=...');
  if (values.half !== undefined && values.half !== 'a' && values.half !== 'b') {
    throw new InputError(`--half must be a or b, got ${values.half}`);
  }
  const source: ScoreSource =
    values.reference !== undefined
      ? { kind: 'reference', detector: values.reference }
      : { kind: 'detector', overrides: overrides, signal: values.signal };
  return {
    nabDir: path.resolve(values['nab-dir'] ?? DEFAULT_NAB_DIR),
    source,
    patterns: (values.files ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== ''),
    half: values.half,
    workers,
    json: values.json,
    writeResultsDir: values['write-results'],
    seeds,
  };
}

/** `realKnownCause/*`, `*taxi*`: matched against the whole name and the base name. */
export function selectFiles(names: readonly string[], patterns: readonly string[]): string[] {
  if (patterns.length === 0) return [...names];
  const regexes = patterns.map(
    (p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`),
  );
  const selected = names.filter((name) => regexes.some((r) => r.test(name) || r.test(path.basename(name))));
  if (selected.length === 0) throw new InputError(`--files ${patterns.join(',')} matches none of the ${names.length} NAB files`);
  return selected;
}

/** Replays `files` over `workers` child processes, biggest files first. */
async function runPool(
  nabDir: string,
  files: readonly NabDataFile[],
  source: ScoreSource,
  workers: number,
  onFileDone: (done: FileScores, finished: number, total: number) => void,
): Promise<Map<string, FileScores>> {
  const results = new Map<string, FileScores>();
  const record = (scores: FileScores): void => {
    results.set(scores.name, scores);
    onFileDone(scores, results.size, files.length);
  };
  const queue = [...files].sort((a, b) => b.values.length - a.values.length);
  if (workers === 0) {
    for (const file of queue) record(await produceScores(nabDir, file.name, source));
    return results;
  }
  const children: ChildProcess[] = [];
  const inFlight = new Map<number, string>(); // request id -> file name
  try {
    await new Promise<void>((resolve, reject) => {
      let nextId = 0;
      let failed = false;
      const fail = (error: Error): void => {
        if (!failed) reject(error);
        failed = true;
      };
      const feed = (child: ChildProcess): void => {
        const file = queue.shift();
        if (file === undefined) {
          if (inFlight.size === 0) resolve();
          return;
        }
        const request: WorkerRequest = { id: nextId++, nabDir, name: file.name, source };
        inFlight.set(request.id, file.name);
        child.send(request);
      };
      for (let w = 0; w < Math.min(workers, queue.length); w += 1) {
        const child = fork(path.join(HERE, 'worker.ts'), [], {
          execArgv: ['--import', 'tsx'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        children.push(child);
        child.on('message', (message: WorkerResponse) => {
          const name = inFlight.get(message.id) ?? '';
          inFlight.delete(message.id);
          if (!message.ok) {
            fail(new AiopsError(message.error));
            return;
          }
          record({
            name,
            scores: Float64Array.from(message.scores),
            alerts: Uint8Array.from(message.alerts),
            pages: Uint8Array.from(message.pages),
            elapsedMs: message.elapsedMs,
          });
          if (!failed) feed(child);
        });
        child.on('exit', (code, signal) => {
          if (queue.length > 0 || inFlight.size > 0) {
            fail(new AiopsError(`a NAB worker stopped early (exit code ${code}, signal ${signal})`));
          }
        });
        feed(child);
      }
    });
  } finally {
    for (const child of children) child.kill();
  }
  return results;
}

interface TableRow {
  readonly detector: string;
  readonly standard: number;
  readonly lowFp: number;
  readonly lowFn: number;
  readonly ours: boolean;
}

/** The published table sorted by standard score with our row inserted in rank. */
export function rankedTable(published: readonly PublishedScore[], ours: TableRow): TableRow[] {
  return [...published.map((p) => ({ ...p, ours: false })), ours].sort(
    (a, b) => b.standard - a.standard || Number(b.ours) - Number(a.ours),
  );
}

function formatTable(rows: readonly TableRow[]): string {
  // The README's long descriptive rows are cut so the numbers stay on screen.
  const maxName = 56;
  const fit = (name: string): string => (name.length > maxName ? `${name.slice(0, maxName - 1)}…` : name);
  const nameWidth = Math.min(Math.max(...rows.map((r) => r.detector.length), 8), maxName);
  const num = (n: number): string => n.toFixed(2).padStart(9);
  const lines = [
    `${'rank'.padEnd(5)}${'detector'.padEnd(nameWidth)} ${'standard'.padStart(9)} ${'low_FP'.padStart(9)} ${'low_FN'.padStart(9)}`,
  ];
  rows.forEach((row, i) => {
    const marker = row.ours ? '>>' : '  ';
    lines.push(
      `${marker}${String(i + 1).padEnd(3)}${fit(row.detector).padEnd(nameWidth)} ${num(row.standard)} ${num(row.lowFp)} ${num(row.lowFn)}`,
    );
  });
  return lines.join('\n');
}

function describeSource(source: ScoreSource): string {
  if (source.kind === 'reference') return `reference/${source.detector} (published scores, a baseline: no detector ran)`;
  const settings = detectorSettings(source.overrides);
  const shown = { ...settings } as Partial<DetectorConfig>;
  delete shown.name;
  delete shown.query;
  delete shown.labels;
  delete shown.severity;
  const overridden = Object.keys(source.overrides).length > 0 ? ` overrides ${JSON.stringify(source.overrides)}` : ' (defaults)';
  return `aiops-detector${overridden}, signal ${source.signal}: ${JSON.stringify(shown)}`;
}

function writeResults(dir: string, files: readonly NabDataFile[], scores: Map<string, FileScores>, results: readonly NabProfileResult[]): void {
  for (const file of files) {
    const fileScores = scores.get(file.name);
    if (fileScores === undefined) continue;
    const target = path.join(dir, file.name);
    mkdirSync(path.dirname(target), { recursive: true });
    const lines = ['timestamp,value,anomaly_score,alert,label'];
    for (let i = 0; i < file.values.length; i += 1) {
      const t = file.timestampsMs[i] as number;
      const label = file.windows.some(([a, b]) => t >= a && t <= b) ? 1 : 0;
      lines.push(`${file.timestampTexts[i]},${file.values[i]},${fileScores.scores[i]},${fileScores.alerts[i]},${label}`);
    }
    writeFileSync(target, `${lines.join('\n')}\n`);
  }
  const summary = ['file,profile,threshold,score,tp,fp,fn,tn,windows,windows_detected'];
  for (const result of results) {
    for (const f of result.files) {
      summary.push(
        [f.name, result.profile.name, result.threshold, f.score, f.tp, f.fp, f.fn, f.tn, f.windows, f.windowsDetected].join(','),
      );
    }
  }
  writeFileSync(path.join(dir, 'scores.csv'), `${summary.join('\n')}\n`);
}

/** The reference detectors whose pager's view is printed beside ours (reference/<name>). */
const pagerReferences = [
  { detector: 'numenta', label: 'numenta (HTM)' },
  { detector: 'randomCutForest', label: 'randomCutForest' },
] as const;

interface PagerRow {
  readonly detector: string;
  /** The score a page needs; undefined for ours, which pages where its alert fires. */
  readonly threshold: number | undefined;
  readonly view: PagerView;
}

/**
 * A published detector's pager's view: pages at its NAB standard-profile threshold (the one the
 * scorer chooses for it over these files).
 */
function referencePagerRow(files: readonly NabDataFile[], nabDir: string, detector: string, label: string): PagerRow {
  const inputs = files.map((f) => ({ ...f, scores: readReferenceScores(nabDir, detector, f.name, f.values.length) }));
  const standard = scoreNabCorpus(inputs).find((r) => r.profile.name === 'standard') as NabProfileResult;
  const pagesAt = (scores: Float64Array): Uint8Array => pagesFromScores(scores, standard.threshold);
  return { detector: label, threshold: standard.threshold, view: pagerView(inputs.map((f) => ({ ...f, pages: pagesAt(f.scores) }))) };
}

/** The published detectors' NAB scores on `files` (the published table holds whole-subset scores only). */
function referenceScoresOn(files: readonly NabDataFile[], nabDir: string): PublishedScore[] {
  return pagerReferences.map(({ detector, label }) => {
    const results = scoreNabCorpus(files.map((f) => ({ ...f, scores: readReferenceScores(nabDir, detector, f.name, f.values.length) })));
    const of = (profile: string): number => (results.find((r) => r.profile.name === profile) as NabProfileResult).normalizedScore;
    return { detector: label, standard: of('standard'), lowFp: of('reward_low_FP_rate'), lowFn: of('reward_low_FN_rate') };
  });
}

function formatPagerTable(rows: readonly PagerRow[]): string {
  const nameWidth = Math.max(8, ...rows.map((r) => r.detector.length));
  const lines = [`${'detector'.padEnd(nameWidth)}  ${'pages at'.padStart(9)}  ${'false pages / series-day'.padStart(24)}  ${'windows caught'.padStart(14)}`];
  for (const { detector, threshold, view } of rows) {
    const at = threshold === undefined ? 'alert' : threshold === NEVER_THRESHOLD ? 'never' : threshold.toFixed(3);
    lines.push(
      `${detector.padEnd(nameWidth)}  ${at.padStart(9)}  ${view.falsePagesPerDay.toFixed(3).padStart(24)}  ${`${view.windowsCaught}/${view.windows}`.padStart(14)}`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const windows = readNabWindows(options.nabDir);
  const all = listNabFiles(options.nabDir);
  const names = selectFiles(all, options.patterns).filter((name) => options.half === undefined || nabHalfOf(all, name) === options.half);
  const files = names.map((name) => readNabDataFile(options.nabDir, name, windows));
  // Progress on a terminal only, on stderr: a full run takes minutes; stdout stays the result.
  const progress = process.stderr.isTTY
    ? (done: FileScores, finished: number, total: number): void => {
        process.stderr.write(`[${finished}/${total}] ${done.name} ${(done.elapsedMs / 1000).toFixed(1)} s\n`);
      }
    : (): void => undefined;
  const scores = await runPool(options.nabDir, files, options.source, options.workers, progress);
  const detectedMs = performance.now() - started;
  const scoringStarted = performance.now();
  const scoreFiles = (byName: Map<string, FileScores>): NabProfileResult[] =>
    scoreNabCorpus(files.map((f) => ({ ...f, scores: (byName.get(f.name) as FileScores).scores })));
  const results = scoreFiles(scores);
  const scoringMs = performance.now() - scoringStarted;
  // More draws of the same settings: the detector name seeds every forest.
  const seedRuns: { name: string; standard: number }[] = [];
  if (options.seeds > 1 && options.source.kind === 'detector') {
    const standardOf = (r: readonly NabProfileResult[]): number => (r.find((x) => x.profile.name === 'standard') as NabProfileResult).normalizedScore;
    seedRuns.push({ name: 'nab', standard: standardOf(results) });
    for (let i = 2; i <= options.seeds; i += 1) {
      const name = `nab-${i}`;
      const source: ScoreSource = { ...options.source, overrides: { ...options.source.overrides, name } };
      seedRuns.push({ name, standard: standardOf(scoreFiles(await runPool(options.nabDir, files, source, options.workers, progress))) });
    }
  }
  const seedMean = seedRuns.reduce((sum, r) => sum + r.standard, 0) / Math.max(1, seedRuns.length);
  const elapsedMs = performance.now() - started;
  const byProfile = (name: string): NabProfileResult => results.find((r) => r.profile.name === name) as NabProfileResult;
  const ours = {
    standard: byProfile('standard').normalizedScore,
    lowFp: byProfile('reward_low_FP_rate').normalizedScore,
    lowFn: byProfile('reward_low_FN_rate').normalizedScore,
  };
  const windowCount = files.reduce((n, f) => n + f.windows.length, 0);
  const complete = names.length === all.length;
  // The pager's view (bench/nab/pager.ts): ours from the alert column, a published detector's
  // (this run's, with --reference, and the two references beside it) from its score at its threshold.
  const ownRow: PagerRow =
    options.source.kind === 'detector'
      ? { detector: 'aiops-detector (this run)', threshold: undefined, view: pagerView(files.map((f) => ({ ...f, pages: (scores.get(f.name) as FileScores).pages }))) }
      : referencePagerRow(files, options.nabDir, options.source.detector, `reference ${options.source.detector} (this run)`);
  const pagerRows = [
    ownRow,
    ...pagerReferences
      .filter((r) => options.source.kind !== 'reference' || r.detector !== options.source.detector)
      .map((r) => referencePagerRow(files, options.nabDir, r.detector, r.label)),
  ];
  if (options.writeResultsDir !== undefined) writeResults(options.writeResultsDir, files, scores, results);

  if (options.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          source: options.source,
          settings: options.source.kind === 'detector' ? detectorSettings(options.source.overrides) : undefined,
          files: names.length,
          half: options.half ?? null,
          windows: windowCount,
          completeSubset: complete,
          scores: results.map((r) => ({
            profile: r.profile.name,
            score: Number(r.normalizedScore.toFixed(2)),
            threshold: r.threshold === NEVER_THRESHOLD ? null : r.threshold,
            rawScore: r.rawScore,
            windowsDetected: r.files.reduce((n, f) => n + f.windowsDetected, 0),
            falsePositiveRows: r.files.reduce((n, f) => n + f.fp, 0),
          })),
          pager: pagerRows.map((r) => ({
            detector: r.detector,
            threshold: r.threshold ?? null,
            falsePages: r.view.falsePages,
            seriesDays: Number(r.view.seriesDays.toFixed(2)),
            falsePagesPerSeriesDay: Number(r.view.falsePagesPerDay.toFixed(3)),
            windowsCaught: r.view.windowsCaught,
            windows: r.view.windows,
          })),
          elapsedMs: Math.round(elapsedMs),
          detectionMs: Math.round(detectedMs),
          scoringMs: Math.round(scoringMs),
          workers: options.workers,
          seedRuns: seedRuns.length > 0 ? { runs: seedRuns.map((r) => ({ ...r, standard: Number(r.standard.toFixed(2)) })), meanStandard: Number(seedMean.toFixed(2)) } : undefined,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }

  const label = options.source.kind === 'reference' ? `reference ${options.source.detector} (this run)` : 'aiops-detector (this run)';
  const out: string[] = [];
  out.push(`NAB development subset: ${names.length} files, ${windowCount} windows (${options.nabDir})`);
  out.push(`Scores from: ${describeSource(options.source)}`);
  out.push('');
  if (complete) {
    out.push(formatTable(rankedTable(readPublishedScores(options.nabDir), { detector: label, ...ours, ours: true })));
  } else {
    const which = options.half !== undefined ? `half ${options.half}, ` : '';
    out.push(`Only ${names.length} of the subset's files (${which}not comparable with the published table); the references scored on the same files:`);
    const others = referenceScoresOn(files, options.nabDir).filter(
      (r) => options.source.kind !== 'reference' || pagerReferences.find((p) => p.label === r.detector)?.detector !== options.source.detector,
    );
    out.push(formatTable(rankedTable(others, { detector: label, ...ours, ours: true })));
  }
  out.push('');
  for (const r of results) {
    const detected = r.files.reduce((n, f) => n + f.windowsDetected, 0);
    const fpRows = r.files.reduce((n, f) => n + f.fp, 0);
    const threshold = r.threshold === NEVER_THRESHOLD ? 'never fire' : r.threshold.toPrecision(6);
    out.push(
      `${r.profile.name.padEnd(20)} threshold ${threshold}, raw ${r.rawScore.toFixed(3)}, windows detected ${detected}/${windowCount}, false-positive rows ${fpRows}`,
    );
  }
  out.push('');
  out.push(`The pager's view (pages after probation; one incident per ${incidentRows} rows; ${pagerRows[0]?.view.seriesDays.toFixed(1)} series-days):`);
  out.push(formatPagerTable(pagerRows));
  if (seedRuns.length > 0) {
    const standards = seedRuns.map((r) => r.standard);
    out.push(
      `standard over ${seedRuns.length} detector names (${seedRuns.map((r) => r.name).join(', ')}): ${standards.map((v) => v.toFixed(2)).join(' / ')}, mean ${seedMean.toFixed(2)}, range ${(Math.max(...standards) - Math.min(...standards)).toFixed(2)}`,
    );
  }
  const slowest = [...scores.values()].sort((a, b) => b.elapsedMs - a.elapsedMs)[0];
  out.push('');
  out.push(
    `Took ${(elapsedMs / 1000).toFixed(1)} s (${options.workers === 0 ? 'in process' : `${options.workers} worker${options.workers === 1 ? '' : 's'}`}; detection ${(detectedMs / 1000).toFixed(1)} s, scoring ${(scoringMs / 1000).toFixed(2)} s; slowest file ${slowest?.name ?? '-'} ${((slowest?.elapsedMs ?? 0) / 1000).toFixed(1)} s)`,
  );
  if (options.writeResultsDir !== undefined) out.push(`Per-file results written to ${options.writeResultsDir}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:nab failed: ${errorMessage(error)}\n`);
  if (error instanceof Error && error.cause !== undefined) process.stderr.write(`  cause: ${errorMessage(error.cause)}\n`);
  process.exitCode = 1;
});
