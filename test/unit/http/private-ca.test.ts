/**
 * `prometheus.caFile`: an HTTPS Prometheus with a certificate from a private CA is trusted only
 * when that CA is given, by the queries (source) and by the remote writes (write-back, the
 * prometheus state store) alike. The certificate is made here with the system's openssl.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrometheusConfig } from '../../../lib/config/config.js';
import { configDefaults } from '../../../lib/config/schema.js';
import { SourceError } from '../../../lib/sources/errors.js';
import { createPrometheusSource } from '../../../lib/sources/prometheus/prometheus-source.js';
import { RemoteWriteError } from '../../../lib/remote-write/errors.js';
import { createRemoteWriter } from '../../../lib/remote-write/remote-writer.js';
import { remoteWriteOptionsOf } from '../../../lib/write-back/remote-write-options.js';
import { matrixBody } from '../../support/fake-prometheus.js';

/** The configuration's limits on an answer (prometheus.maxSeries, prometheus.maxResponseBytes). */
const limits = { maxSeries: configDefaults.prometheusMaxSeries, maxResponseBytes: configDefaults.prometheusMaxResponseBytes };

const run = promisify(execFile);
let dir: string;
let server: Server;
let url: string;
/** Remote write requests the server accepted. */
let writes = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aiops-ca-'));
  const at = (name: string): string => join(dir, name);
  await writeFile(at('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=test-ca', '-keyout', at('ca.key'), '-out', at('ca.pem')]);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', at('server.key'), '-out', at('server.csr')]);
  await run('openssl', ['x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', at('ext.cnf'), '-out', at('server.pem')]);
  server = createServer({ key: await readFile(at('server.key')), cert: await readFile(at('server.pem')) }, (request, response) => {
    if (request.method === 'POST' && request.url === '/api/v1/write') {
      writes++;
      response.writeHead(204).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(matrixBody([{ labels: { tls: 'yes' }, values: [[1_700_000_000, '1']] }])));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

function config(overrides: Partial<PrometheusConfig> = {}): PrometheusConfig {
  return { url, auth: { type: 'none' }, headers: {}, timeoutMs: 5_000, retries: 0, ...limits, ...overrides };
}

const window = { query: 'up', startMs: 1_700_000_000_000, endMs: 1_700_000_000_000, stepSeconds: 60 };

describe('Prometheus over HTTPS with a private CA', () => {
  it('is refused without the CA', async () => {
    const error = await createPrometheusSource(config()).queryRange(window).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
  });

  it('is trusted with caFile', async () => {
    // Act
    const series = await createPrometheusSource(config({ caFile: join(dir, 'ca.pem') })).queryRange(window);

    // Assess
    expect(series[0]?.labels).toEqual({ tls: 'yes' });
  });

  it('says which caFile cannot be read', async () => {
    const error = await createPrometheusSource(config({ caFile: join(dir, 'missing.pem') })).queryRange(window).catch((e: unknown) => e);
    expect((error as SourceError).message).toContain(`cannot read caFile ${join(dir, 'missing.pem')}`);
  });
});

describe('remote write over HTTPS with a private CA', () => {
  const sample = [{ labels: { __name__: 'aiops_anomaly_score', detector: 'd' }, value: 0.5, timestampMs: 1_700_000_000_000 }];

  it('is refused without the CA', async () => {
    const error = await createRemoteWriter(remoteWriteOptionsOf(config())).write(sample).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteWriteError);
  });

  it("is trusted with the Prometheus config's caFile", async () => {
    // Prepare
    const before = writes;

    // Act
    const result = await createRemoteWriter(remoteWriteOptionsOf(config({ caFile: join(dir, 'ca.pem') }))).write(sample);

    // Assess
    expect(result.requests).toBe(1);
    expect(writes).toBe(before + 1);
  });

  it('says which caFile cannot be read', async () => {
    const options = remoteWriteOptionsOf(config({ caFile: join(dir, 'missing.pem') }));
    const error = await createRemoteWriter(options).write(sample).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteWriteError);
    expect((error as RemoteWriteError).message).toContain(`cannot read caFile ${join(dir, 'missing.pem')}`);
  });
});
