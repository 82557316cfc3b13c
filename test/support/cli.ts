/**
 * Runs the `aiops-detector` command line in-process through `main(argv, io)`, with captured
 * standard output and error, so tests see exactly what a user would, including exit codes.
 */
import type { CommandIo } from '../../lib/cli/command.js';
import { main } from '../../functions/cli.js';

export interface CaptureOptions {
  cwd: string;
  env?: Record<string, string>;
  stdin?: string;
  stderrIsTty?: boolean;
  signal?: AbortSignal;
}

export interface CapturedIo {
  io: CommandIo;
  stdout: () => string;
  stderr: () => string;
}

/** A CommandIo that records what is written. */
export function captureIo(options: CaptureOptions): CapturedIo {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: (text) => {
        out += text;
      },
      stderr: (text) => {
        err += text;
      },
      readStdin: () => Promise.resolve(options.stdin ?? ''),
      env: options.env ?? {},
      cwd: options.cwd,
      stderrIsTty: options.stderrIsTty ?? false,
      signal: options.signal ?? new AbortController().signal,
    },
    stdout: () => out,
    stderr: () => err,
  };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `aiops-detector <argv>` in-process. */
export async function runCli(argv: string[], options: CaptureOptions): Promise<CliRun> {
  const captured = captureIo(options);
  const code = await main(argv, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

/**
 * The JSON lines of an output. `strict`: every non-empty line must be JSON (throws otherwise);
 * else lines not starting with `{` (a console sink's line for people) are skipped.
 */
export function jsonLines(text: string, options: { strict?: boolean } = {}): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => (options.strict ? line.trim() !== '' : line.trim().startsWith('{')))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
