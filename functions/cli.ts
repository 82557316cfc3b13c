/**
 * `aiops-detector` command line. Wiring only: each command lives in lib/cli/<name>.ts.
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { AiopsError } from '../lib/errors.js';
import type { Command, CommandIo } from '../lib/cli/command.js';
import { commands } from '../lib/cli/commands.js';

function helpText(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: aiops-detector <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun \`aiops-detector <command> --help\` for a command's options.\n`;
}

/** The version in package.json: one level up from functions/ (tsx), two from dist/functions/. */
async function packageVersion(): Promise<string> {
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(await readFile(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'aiops-detector' && pkg.version) return pkg.version;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new AiopsError('cannot find the package.json of aiops-detector');
}

function processIo(signal: AbortSignal): CommandIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    env: process.env,
    cwd: process.cwd(),
    stderrIsTty: Boolean(process.stderr.isTTY),
    signal,
  };
}

/** Runs the CLI with `argv` (without `node` and the script) and returns the exit code. */
export async function main(argv: string[], io?: CommandIo): Promise<number> {
  const controller = new AbortController();
  const stop = (): void => controller.abort(new AiopsError('interrupted'));
  if (!io) {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  const effectiveIo = io ?? processIo(controller.signal);
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      effectiveIo.stdout(helpText());
      return name === undefined ? 2 : 0;
    }
    if (name === '--version' || name === '-v') {
      effectiveIo.stdout(`${await packageVersion()}\n`);
      return 0;
    }
    const command: Command | undefined = commands.find((c) => c.name === name);
    if (!command) {
      effectiveIo.stderr(`aiops-detector: unknown command '${name}'\n\n${helpText()}`);
      return 2;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      effectiveIo.stdout(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
      return 0;
    }
    return await command.run(rest, effectiveIo);
  } catch (error) {
    if (error instanceof AiopsError) {
      effectiveIo.stderr(`aiops-detector: ${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}

// Executed directly (`tsx functions/cli.ts run`), not imported by bin/aiops-detector.js.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
