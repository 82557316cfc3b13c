/**
 * A CLI command: `functions/cli.ts` dispatches `aiops-detector <name> ...` to one of these.
 * Commands get their streams and environment injected so tests run them in-process.
 */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whole standard input, read on demand (for `--input -`). */
  readStdin: () => Promise<string>;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Whether stderr is a terminal (progress bars only then). */
  stderrIsTty: boolean;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

export interface Command {
  name: string;
  /** One line for `aiops-detector --help`. */
  summary: string;
  /** Full usage text for `aiops-detector <name> --help`. */
  usage: string;
  /** Returns the process exit code. Throwing an AiopsError prints its message and exits 2. */
  run(argv: string[], io: CommandIo): Promise<number>;
}
