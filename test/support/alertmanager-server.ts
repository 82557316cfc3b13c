/**
 * A real Alertmanager (Debian package `prometheus-alertmanager`, 0.25) for integration tests:
 * single node (`--cluster.listen-address=`), on 127.0.0.1 and a free port, with a temp storage
 * folder and a config whose only receiver does nothing. Fails (never skips) when the binary is
 * missing: `apt-get install -y prometheus-alertmanager`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './webhook-receiver.js';

export const alertmanagerBinary = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

export interface AlertmanagerServer {
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  /** Alerts as `GET /api/v2/alerts` returns them (active, silenced, inhibited and unprocessed). */
  alerts(filter?: { active?: boolean }): Promise<AlertmanagerAlert[]>;
  stop(): Promise<void>;
}

/** The fields of Alertmanager's `gettableAlert` the tests look at. */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
  fingerprint: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed' };
}

const config = `route:
  receiver: discard
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: discard
`;

/** Starts Alertmanager and waits until it answers `/-/ready`. */
export async function startAlertmanager(): Promise<AlertmanagerServer> {
  await access(alertmanagerBinary).catch((error: unknown) => {
    throw new Error(`Alertmanager binary ${alertmanagerBinary} not found (apt-get install -y prometheus-alertmanager)`, {
      cause: error,
    });
  });
  const dir = await mkdtemp(join(tmpdir(), 'aiops-alertmanager-'));
  const configFile = join(dir, 'alertmanager.yml');
  await writeFile(configFile, config);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child: ChildProcess = spawn(
    alertmanagerBinary,
    [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`Alertmanager exited with ${child.exitCode}: ${output.join('').slice(-2_000)}`);
    }
    try {
      const response = await fetch(`${baseUrl}/-/ready`);
      if (response.ok) break;
    } catch {
      // Not listening yet: keep polling until the deadline.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Alertmanager not ready on ${baseUrl} within 15 s: ${output.join('').slice(-2_000)}`);
    }
    await sleep(50);
  }

  return {
    baseUrl,
    alerts: async (filter = {}) => {
      const query = filter.active === undefined ? '' : `?active=${filter.active}`;
      const response = await fetch(`${baseUrl}/api/v2/alerts${query}`);
      if (!response.ok) throw new Error(`GET /api/v2/alerts: HTTP ${response.status}`);
      return (await response.json()) as AlertmanagerAlert[];
    },
    stop,
  };
}
