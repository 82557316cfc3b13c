/**
 * A small local HTTP server that answers like Prometheus' `query_range` but can fail on
 * purpose: 500 N times then OK, hang past the client's timeout, malformed JSON, 422/400 with
 * Prometheus' error body, 429 with Retry-After, a body sent in pieces that stalls or breaks
 * half-way. It records every request (method, path, query and form parameters, headers, body)
 * and how much of its answer went out, so tests can assert what the client sent and when it
 * stopped reading.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Raw query string, without `?`. */
  rawQuery: string;
  /** Query string and form body parameters together (what Prometheus reads). */
  params: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: string;
  /** Wall-clock arrival, for asserting on backoff waits. */
  atMs: number;
  /** The answer as it goes out (updated while it is written). */
  reply: ReplyProgress;
}

export interface ReplyProgress {
  /** Bytes of body handed to the socket. */
  bytesWritten: number;
  /** Bytes of the whole body. */
  bodyBytes: number;
  /** The client closed the connection before the whole body was written. */
  closedEarly: boolean;
  /** Resolves once the answer is over: written whole, cut, or closed by the client. */
  done: Promise<void>;
}

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as it is (malformed JSON included); anything else as JSON. */
  body?: unknown;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (until the server stops). */
  hang?: boolean;
  /**
   * Send the body in writes of this many bytes (chunked, no Content-Length), each after the
   * previous one drained and `pieceDelayMs` passed; so a client that stops reading stops it.
   */
  pieceBytes?: number;
  pieceDelayMs?: number;
  /** With `pieceBytes`: stop writing after this many bytes and keep the connection open. */
  stallAfterBytes?: number;
  /** With `pieceBytes`: destroy the connection after this many bytes. */
  breakAfterBytes?: number;
}

export type FakeHandler = (request: RecordedRequest, index: number) => FakeReply | Promise<FakeReply>;

export interface FakePrometheus {
  /** `http://127.0.0.1:<port>` */
  url: string;
  requests: RecordedRequest[];
  /** Answers in order from now on, then `fallback` (default: {@link gridReply}). */
  script(replies: readonly FakeReply[], fallback?: FakeReply): void;
  /** Full control; replaces any script. */
  handle(handler: FakeHandler): void;
  stop(): Promise<void>;
}

/** A `query_range` success body with one entry per series. */
export function matrixBody(
  series: readonly { labels: Record<string, string>; values: readonly (readonly [number, string])[] }[],
  warnings?: readonly string[],
): unknown {
  return {
    status: 'success',
    data: { resultType: 'matrix', result: series.map((s) => ({ metric: s.labels, values: s.values })) },
    ...(warnings ? { warnings } : {}),
  };
}

/** Prometheus' error body (`/api/v1` answers with this and a 400/422/503 status). */
export function errorBody(errorType: string, error: string): unknown {
  return { status: 'error', errorType, error };
}

/**
 * A matrix answering the request's own grid: one series `fake_metric{instance="a"}` with value
 * = the point's index, from `start` to `end` every `step` (as Prometheus would).
 */
export function gridReply(request: RecordedRequest): FakeReply {
  const start = Number(request.params.start);
  const end = Number(request.params.end);
  const step = Number(request.params.step);
  const values: [number, string][] = [];
  for (let t = start, i = 0; t <= end + 1e-9; t += step, i++) values.push([t, String(i)]);
  return { body: matrixBody([{ labels: { __name__: 'fake_metric', instance: 'a' }, values }]) };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Resolves when `res` takes more data again, or is closed. */
export function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Starts the fake on 127.0.0.1 with an ephemeral port. */
export async function startFakePrometheus(): Promise<FakePrometheus> {
  const requests: RecordedRequest[] = [];
  let handler: FakeHandler = gridReply;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  /** Waits `ms`; the timer is cleared by stop(). */
  const wait = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://fake');
      const params: Record<string, string> = {};
      for (const [k, v] of url.searchParams) params[k] = v;
      if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        for (const [k, v] of new URLSearchParams(body)) params[k] = v;
      }
      let finish = (): void => undefined;
      const progress: ReplyProgress = {
        bytesWritten: 0,
        bodyBytes: 0,
        closedEarly: false,
        done: new Promise<void>((resolve) => (finish = resolve)),
      };
      res.once('close', () => {
        progress.closedEarly = !res.writableFinished && progress.bytesWritten < progress.bodyBytes;
        finish();
      });
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        rawQuery: (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?') + 1) : '',
        params,
        headers: req.headers,
        body,
        atMs: Date.now(),
        reply: progress,
      };
      requests.push(recorded);
      const reply = await handler(recorded, requests.length - 1);
      if (reply.hang) return; // the socket is destroyed by stop() or by the client's timeout
      if (reply.delayMs) await wait(reply.delayMs);
      if (res.destroyed) return;
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? matrixBody([]));
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      if (reply.pieceBytes === undefined) {
        progress.bodyBytes = progress.bytesWritten = Buffer.byteLength(text);
        res.end(text);
        return;
      }
      const bytes = Buffer.from(text, 'utf8');
      progress.bodyBytes = bytes.length;
      for (let offset = 0; offset < bytes.length && !res.destroyed; offset += reply.pieceBytes) {
        if (reply.stallAfterBytes !== undefined && offset >= reply.stallAfterBytes) return; // open, silent
        if (reply.breakAfterBytes !== undefined && offset >= reply.breakAfterBytes) {
          res.destroy();
          return;
        }
        if (reply.pieceDelayMs) await wait(reply.pieceDelayMs);
        const piece = bytes.subarray(offset, offset + reply.pieceBytes);
        progress.bytesWritten += piece.length;
        if (!res.write(piece)) await drained(res);
      }
      if (!res.destroyed) res.end();
    })().catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script(replies, fallback) {
      let next = 0;
      handler = (request) => {
        const reply = replies[next++] ?? fallback;
        return reply ?? gridReply(request);
      };
    },
    handle(next) {
      handler = next;
    },
    stop: async () => {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
