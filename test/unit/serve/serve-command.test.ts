/**
 * `aiops-detector serve` in-process: usage errors exit 2 with a message, the embedded demo
 * (recorded Prometheus answers, console sink) answers an event, and aborting the command's
 * signal (what SIGTERM does in functions/cli.ts) stops it with exit 0. The child-process
 * version with a real Prometheus is test/integration/knative-serve.test.ts.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../functions/cli.js';
import { captureIo } from '../../support/cli.js';

const repo = join(import.meta.dirname, '..', '..', '..');

function io(env: Record<string, string> = {}) {
  const controller = new AbortController();
  const captured = captureIo({ cwd: repo, env, signal: controller.signal });
  return { io: captured.io, output: { get stdout() { return captured.stdout(); }, get stderr() { return captured.stderr(); } }, controller };
}

describe('aiops-detector serve', () => {
  it('rejects a bad port or grace period with exit 2 and says which', async () => {
    const bad = io();
    expect(await main(['serve', '--port', 'http'], bad.io)).toBe(2);
    expect(bad.output.stderr).toContain("--port must be a whole number from 0 to 65535, got 'http'");

    const badEnv = io({ PORT: '70000' });
    expect(await main(['serve', '--config', 'examples/demo/config.yaml'], badEnv.io)).toBe(2);
    expect(badEnv.output.stderr).toContain("PORT must be a whole number from 0 to 65535, got '70000'");

    const badGrace = io();
    expect(await main(['serve', '--grace-period', '1.5'], badGrace.io)).toBe(2);
    expect(badGrace.output.stderr).toContain('--grace-period must be a whole number');
  });

  it('serves the embedded demo: an event runs a cycle whose alert goes to the console; abort stops it with 0', async () => {
    // Prepare
    const run = io();
    const exited = main(['serve', '--port', '0', '--host', '127.0.0.1', '--config', 'examples/demo/config.yaml'], run.io);
    await expect.poll(() => /"msg":"listening","port":(\d+)/.exec(run.output.stderr), { timeout: 10_000 }).not.toBeNull();
    const port = Number(/"msg":"listening","port":(\d+)/.exec(run.output.stderr)![1]);

    // Act
    const response = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'ce-specversion': '1.0', 'ce-id': 'demo-1', 'ce-source': 'test', 'ce-type': 'dev.knative.sources.ping' },
    });
    const body = (await response.json()) as Record<string, unknown>;
    run.controller.abort(new Error('SIGTERM'));

    // Assess
    expect(response.status).toBe(200);
    expect(body).toMatchObject({ ok: true, detectors: 2, alertsSent: 1 });
    expect(run.output.stdout).toContain('[FIRING] critical latency-p99 {service="checkout"}');
    expect(await exited).toBe(0);
    expect(run.output.stderr).toContain('"msg":"stopped"');
  });
});
