/**
 * The large answer of `npm run bench:answer`: a `query_range` matrix as Prometheus writes it
 * (`{"status":"success","data":{"resultType":"matrix","result":[...]}}`), many series of a
 * node-exporter-like metric, deterministic (fixed, or for the range asked), and a local server
 * that sends it in 64 KB writes (chunked, no Content-Length, as Prometheus does) and records
 * how much of it went out.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drained } from '../../test/support/fake-prometheus.js';

export const stepSeconds = 60;
/** The newest sample of every series (and the `--now` of the CLI run). */
export const answerEndS = Date.UTC(2025, 0, 15, 12, 0, 0) / 1000;

/** The answer's text as bytes: `series` series of `points` samples ending at {@link answerEndS}. */
export function largeAnswer(series: number, points: number): Buffer {
  return Buffer.concat([...rangeAnswer(series, answerEndS - (points - 1) * stepSeconds, answerEndS)]);
}

/**
 * The answer of `series` series for the grid `[startS, endS]` (every {@link stepSeconds}), as
 * Prometheus would send it for that range: a sample's value depends on its series and its time
 * only, so the answers of two halves of a range make the answer of the whole. Made a few series
 * at a time, so an answer of hundreds of megabytes is never held whole by the server either.
 */
export function* rangeAnswer(series: number, startS: number, endS: number): Generator<Buffer> {
  const batch = 100;
  yield Buffer.from('{"status":"success","data":{"resultType":"matrix","result":[', 'utf8');
  for (let first = 0; first < series; first += batch) {
    const parts: string[] = [];
    for (let s = first; s < Math.min(series, first + batch); s++) {
      const host = `host-${String(s).padStart(5, '0')}`;
      const values: string[] = [];
      for (let t = startS; t <= endS; t += stepSeconds) {
        const i = (t - answerEndS) / stepSeconds;
        // A smooth load with a per-host level: decimal strings of the length Prometheus writes.
        const value = 1000 + (s % 97) * 10 + 50 * Math.sin((i + s) / 7);
        values.push(`[${t},"${value.toFixed(6)}"]`);
      }
      const metric = `{"__name__":"node_network_receive_bytes_total","device":"eth0","instance":"${host}.example.internal:9100","job":"node","region":"eu-west-1"}`;
      parts.push(`${s === 0 ? '' : ','}{"metric":${metric},"values":[${values.join(',')}]}`);
    }
    yield Buffer.from(parts.join(''), 'utf8');
  }
  yield Buffer.from(']}}', 'utf8');
}

export interface AnswerServer {
  url: string;
  /** Per request: bytes written and whether the client closed the connection before the end. */
  transfers: { query: string; bytesWritten: number; closedEarly: boolean }[];
  close(): Promise<void>;
}

/**
 * Serves `answers(query, range)` for every `/api/v1/query_range` request (GET or POST form), in
 * 64 KB writes that wait for the socket to drain, so a client that stops reading stops the
 * transfer. An answer is one Buffer or a sequence of them (made as they are written).
 */
export async function startAnswerServer(
  answers: (query: string, range: { startS: number; endS: number }) => Buffer | Iterable<Buffer>,
): Promise<AnswerServer> {
  const transfers: AnswerServer['transfers'] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const url = new URL(req.url ?? '/', 'http://bench');
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const param = (name: string): string => url.searchParams.get(name) ?? form.get(name) ?? '';
      const query = param('query');
      const answer = answers(query, { startS: Number(param('start')), endS: Number(param('end')) });
      const transfer = { query, bytesWritten: 0, closedEarly: false };
      transfers.push(transfer);
      res.writeHead(200, { 'content-type': 'application/json' });
      const sliceBytes = 64 * 1024;
      for (const body of Buffer.isBuffer(answer) ? [answer] : answer) {
        for (let offset = 0; offset < body.length && !res.destroyed; offset += sliceBytes) {
          const slice = body.subarray(offset, offset + sliceBytes);
          transfer.bytesWritten += slice.length;
          if (!res.write(slice)) await drained(res);
        }
        if (res.destroyed) break;
      }
      transfer.closedEarly = res.destroyed && !res.writableFinished;
      if (!res.destroyed) res.end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    transfers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
