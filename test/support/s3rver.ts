/**
 * s3rver (npm, a fake S3 on the file system) on 127.0.0.1 with an ephemeral port and a temp
 * data folder, plus the real `@aws-sdk/client-s3` pointed at it (path style, s3rver's fixed
 * credentials S3RVER/S3RVER, which it checks).
 *
 * It runs in its own Node process with `--openssl-legacy-provider`: s3rver 3.7 makes
 * ListObjectsV2 continuation tokens with DES, which Node's OpenSSL 3 refuses otherwise
 * ("digital envelope routines::unsupported", jamhall/s3rver#818), so every paginated listing
 * in this process would fail with HTTP 500.
 *
 * Where s3rver 3.7.1 is not S3 (checked by hand with the SDK, so a test does not lean on them):
 * - It does not verify SigV4 signatures: a wrong secret key is accepted; only an unknown access
 *   key id is refused (InvalidAccessKeyId).
 * - It ignores conditional writes: PutObject with If-None-Match: * or a wrong If-Match
 *   overwrites (S3 answers 412 PreconditionFailed), and GetObject ignores If-Match. A
 *   compare-and-set store cannot be tested on it.
 * - It lists folder by folder on disk, which is byte order only when names do not end where
 *   others go on (`a` / `a-b` / `a/b`). Within one page our adapter sorts, but across pages
 *   (MaxKeys smaller than the listing) keys are lost and repeated: the paging tests use
 *   equal-length names.
 * - It cannot store a name with '//' (the SDK then fails to parse its answer).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

const s3rverBin = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');

export const s3rverCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3rver {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** A real S3 client with s3rver's credentials, path style, one attempt. */
  client: S3Client;
  /** A client with other credentials or settings, pointed at this s3rver (destroyed by `stop`). */
  clientWith(config: { credentials?: { accessKeyId: string; secretAccessKey: string } }): S3Client;
  /** Creates an empty bucket. */
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts s3rver and resolves once it prints the address it listens on. */
export async function startS3rver(): Promise<S3rver> {
  const directory = await mkdtemp(join(tmpdir(), 'aiops-s3rver-'));
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', s3rverBin, '--directory', directory, '--address', '127.0.0.1', '--port', '0', '--silent'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(directory, { recursive: true, force: true });
  };

  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`s3rver did not start within 15 s: ${output.join('').slice(-2_000)}`)), 15_000);
      child.stdout.on('data', (chunk: Buffer) => {
        output.push(chunk.toString());
        const match = /S3rver listening on [^:\s]+:(\d+)/.exec(output.join(''));
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`s3rver (${s3rverBin}) exited with ${code}: ${output.join('').slice(-2_000)}`));
      });
    });
  } catch (error) {
    await kill();
    throw error;
  }

  const endpoint = `http://127.0.0.1:${port}`;
  const clients: S3Client[] = [];
  const clientWith: S3rver['clientWith'] = (config) => {
    const client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: config.credentials ?? s3rverCredentials,
      // A failed test should fail fast, not back off through the SDK's default 3 attempts.
      maxAttempts: 1,
    });
    clients.push(client);
    return client;
  };
  const client = clientWith({});
  return {
    endpoint,
    client,
    clientWith,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    stop: async () => {
      for (const c of clients) c.destroy();
      await kill();
    },
  };
}
