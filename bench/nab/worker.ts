/**
 * Child process of the NAB bench: receives file names over IPC, replays each through the
 * score source and sends the scores back. One process per core keeps a 2-core machine busy
 * (the forest is CPU-bound and single-threaded).
 */
import { errorMessage } from '../../lib/errors.js';
import { produceScores, type ScoreSource } from './score-source.js';

/** Parent -> worker. */
export interface WorkerRequest {
  readonly id: number;
  readonly nabDir: string;
  readonly name: string;
  readonly source: ScoreSource;
}

/** Worker -> parent: plain arrays, because IPC serialises to JSON. */
export type WorkerResponse =
  | { readonly id: number; readonly ok: true; readonly scores: number[]; readonly alerts: number[]; readonly pages: number[]; readonly elapsedMs: number }
  | { readonly id: number; readonly ok: false; readonly error: string };

function reply(message: WorkerResponse): void {
  process.send?.(message);
}

process.on('message', (request: WorkerRequest) => {
  produceScores(request.nabDir, request.name, request.source).then(
    (result) =>
      reply({
        id: request.id,
        ok: true,
        scores: Array.from(result.scores),
        alerts: Array.from(result.alerts),
        pages: Array.from(result.pages),
        elapsedMs: result.elapsedMs,
      }),
    (error: unknown) => {
      const cause = error instanceof Error && error.cause !== undefined ? ` (cause: ${errorMessage(error.cause)})` : '';
      reply({ id: request.id, ok: false, error: `${request.name}: ${errorMessage(error)}${cause}` });
    },
  );
});
