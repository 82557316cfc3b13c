/**
 * A real HTTP server on 127.0.0.1 that records every request and answers as told: for sink
 * tests (Slack, Teams, Alertmanager and generic webhooks all look the same from here) and the
 * delivery integration tests. It can answer 500 N times then 200, 429 with Retry-After, 400,
 * hang (for timeouts), or not listen at all (connection refused). With `check`, it first checks
 * each request as a real receiver checks a signature, and answers what the check says.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query as received. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAtMs: number;
  /** Status answered; undefined while hanging. */
  status?: number;
}

export type Reply =
  | { status: number; headers?: Record<string, string>; body?: string }
  /** Never answer: the client's timeout fires. */
  | { hang: true };

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  readonly port: number;
  /** Every request in arrival order. */
  readonly requests: RecordedRequest[];
  /** Requests answered with a 2xx: what a real receiver would have accepted. */
  accepted(): RecordedRequest[];
  /** Answers for the next requests, in order; then the default answer. */
  enqueue(...replies: Reply[]): void;
  /** The answer once the queue is empty (initially 200). */
  setDefault(reply: Reply): void;
  /** Forgets recorded requests and queued answers. */
  reset(): void;
  close(): Promise<void>;
}

export interface WebhookReceiverOptions {
  /** 0 (default) picks a free port; a fixed port brings a receiver back where it was. */
  port?: number;
  /** Answer given when the queue is empty (default 200 `ok`). */
  defaultReply?: Reply;
  /**
   * Runs first on every request: a Reply it returns is the answer (e.g. 401 for a bad
   * signature); undefined lets the queue or the default answer.
   */
  check?: (request: RecordedRequest) => Reply | undefined;
}

/** A port nobody listens on right now (for "connection refused"). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  return port;
}

/** Starts a receiver on 127.0.0.1. */
export async function startWebhookReceiver(options: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
  const requests: RecordedRequest[] = [];
  let queue: Reply[] = [];
  let fallback: Reply = options.defaultReply ?? { status: 200, body: 'ok' };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const record: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAtMs: Date.now(),
      };
      requests.push(record);
      const reply = options.check?.(record) ?? queue.shift() ?? fallback;
      if ('hang' in reply) return; // the socket stays open until the client gives up or close()
      record.status = reply.status;
      res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    requests,
    accepted: () => requests.filter((r) => r.status !== undefined && r.status >= 200 && r.status < 300),
    enqueue: (...replies) => {
      queue.push(...replies);
    },
    setDefault: (reply) => {
      fallback = reply;
    },
    reset: () => {
      requests.length = 0;
      queue = [];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections(); // hanging requests would keep close() waiting forever
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
