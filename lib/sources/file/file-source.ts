/**
 * MetricSource over recorded `query_range` answers: the embedded demo (`npm start`) and
 * offline replays. One JSON file holds, per PromQL query, the exact body Prometheus returned:
 *
 * ```json
 * { "queries": { "<promql>": { "status": "success", "data": { "resultType": "matrix", "result": [...] } } } }
 * ```
 *
 * With `rebase`, every timestamp of a query's recording is shifted so its newest sample lands
 * on the requested (step-aligned) end: a recording made once shows the same picture whenever
 * it is replayed. Without it, the samples inside the requested window are returned as recorded.
 * The recording's own step is kept; `stepSeconds` only aligns the window.
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import { errorMessage } from '../../errors.js';
import { SourceError, shortQuery } from '../errors.js';
import { MatrixShapeError, readMatrix, type MatrixSeries } from '../prometheus/matrix.js';
import { joinSeries } from '../prometheus/series-joiner.js';
import { alignRange } from '../prometheus/time-range.js';
import type { Series } from '../../series/index.js';
import type { MetricSource, RangeQuery } from '../source.js';

export interface FileSourceOptions {
  /** The recording file. */
  path: string;
  /** Shift each query's samples so the newest lands on the window's end. Default false. */
  rebase?: boolean;
}

export interface FileSourceDeps {
  readFile?: (path: string) => Promise<string>;
}

/** The file's shape; what a script writing a recording must produce. */
export interface Recording {
  queries: Record<string, unknown>;
}

const normalise = (query: string): string => query.replace(/\s+/g, ' ').trim();

/** Creates the file source; the file is read once, on the first query. */
export function createFileSource(options: FileSourceOptions, deps: FileSourceDeps = {}): MetricSource {
  const readFile = deps.readFile ?? ((path: string) => fsReadFile(path, 'utf8'));
  const description = `recording ${options.path}`;
  let loaded: Promise<Map<string, MatrixSeries[]>> | undefined;

  const load = async (): Promise<Map<string, MatrixSeries[]>> => {
    let text: string;
    try {
      text = await readFile(options.path);
    } catch (error) {
      throw new SourceError(`${description}: cannot read the file: ${errorMessage(error)}`, { retryable: false, cause: error });
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new SourceError(`${description}: not JSON: ${errorMessage(error)}`, { retryable: false, cause: error });
    }
    const queries = (body as Partial<Recording> | null)?.queries;
    if (typeof queries !== 'object' || queries === null) {
      throw new SourceError(`${description}: expected { "queries": { "<promql>": <query_range answer> } }`, { retryable: false });
    }
    const byQuery = new Map<string, MatrixSeries[]>();
    for (const [query, answer] of Object.entries(queries)) {
      try {
        byQuery.set(normalise(query), readMatrix(answer).series);
      } catch (error) {
        if (!(error instanceof MatrixShapeError)) throw error;
        throw new SourceError(`${description} query "${shortQuery(query)}": ${error.message}`, { retryable: false, cause: error });
      }
    }
    return byQuery;
  };

  return {
    description,
    async queryRange(request: RangeQuery): Promise<Series[]> {
      loaded ??= load();
      let byQuery: Map<string, MatrixSeries[]>;
      try {
        byQuery = await loaded;
      } catch (error) {
        loaded = undefined; // a fixed file is read again on the next run
        throw error;
      }
      const recorded = byQuery.get(normalise(request.query));
      if (!recorded) {
        const known = [...byQuery.keys()].map((q) => `"${shortQuery(q)}"`).join(', ');
        throw new SourceError(`${description}: no recording for query "${shortQuery(request.query)}" (recorded: ${known || 'none'})`, {
          retryable: false,
        });
      }
      const range = alignRange(request.startMs, request.endMs, request.stepSeconds);
      let offsetMs = 0;
      if (options.rebase) {
        let newestMs = -Infinity;
        for (const s of recorded) {
          const last = s.timestampsSeconds[s.timestampsSeconds.length - 1];
          if (last !== undefined) newestMs = Math.max(newestMs, Math.round(last * 1000));
        }
        if (Number.isFinite(newestMs)) offsetMs = range.endMs - newestMs;
      }
      return joinSeries([recorded], { offsetMs, keep: (ms) => ms >= range.startMs && ms <= range.endMs }).filter(
        (s) => s.timestampsMs.length > 0 || s.droppedNonFinite > 0,
      );
    },
  };
}
