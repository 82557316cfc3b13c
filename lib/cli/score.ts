import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseNumericCsv } from '../csv/index.js';
import { InputError } from '../errors.js';
import { contaminationThreshold, fitForest, matrixFromColumns } from '../forest/index.js';
import type { Command, CommandIo } from './command.js';

const usage = `Usage: aiops-detector score --input FILE.csv [--trees N] [--max-samples N] [--seed N] [--contamination C]

Fits one Isolation Forest on every row of FILE.csv and prints one CSV row per input row, in order:
the anomaly score s(x) in (0, 1] (Liu et al.; scikit-learn's score_samples is -s). Every numeric
column except \`timestamp\` is a feature.

Options:
  --input FILE.csv     CSV with a header row; \`-\` reads standard input
  --trees N            number of trees (default 100)
  --max-samples N      rows drawn per tree, at most the row count (default 256, at least 2)
  --seed N             random seed, an integer in [0, 4294967295] (default 0); same seed, same scores
  --contamination C    'auto' (anomalous when score > 0.5) or a fraction in (0, 0.5] (anomalous
                       above the (1 - C) quantile of the scores); adds an \`anomaly\` column of 0/1
`;

function parseInteger(flag: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) {
    throw new InputError(`score: --${flag} must be an integer in [${min}, ${max}], got '${text}'`);
  }
  return value;
}

function parseContamination(text: string): 'auto' | number {
  if (text === 'auto') return 'auto';
  const value = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!(value > 0 && value <= 0.5)) {
    throw new InputError(`score: --contamination must be 'auto' or a number in (0, 0.5], got '${text}'`);
  }
  return value;
}

function parseFlags(argv: string[]): ReturnType<typeof parseScoreArgs> {
  try {
    return parseScoreArgs(argv);
  } catch (error) {
    // parseArgs throws a plain TypeError (unknown option, missing value, stray positional).
    if (error instanceof TypeError) throw new InputError(`score: ${error.message}`, { cause: error });
    throw error;
  }
}

function parseScoreArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      input: { type: 'string' },
      trees: { type: 'string' },
      'max-samples': { type: 'string' },
      seed: { type: 'string' },
      contamination: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  }).values;
}

async function readInput(input: string, io: CommandIo): Promise<string> {
  if (input === '-') return io.readStdin();
  try {
    return await readFile(resolve(io.cwd, input), 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((error as Error).message);
    throw new InputError(`score: cannot read --input '${input}': ${reason}`, { cause: error });
  }
}

/** Shortest text that reads back as the same double. */
function formatScore(score: number): string {
  return String(score);
}

/** `aiops-detector score`: Isolation Forest scores for every row of a CSV file. */
export const scoreCommand: Command = {
  name: 'score',
  summary: 'Score every row of a CSV file with Isolation Forest',
  usage,
  async run(argv, io) {
    const flags = parseFlags(argv);
    if (flags.input === undefined) throw new InputError('score: --input FILE.csv is required (use - for standard input)');
    const trees = flags.trees === undefined ? undefined : parseInteger('trees', flags.trees, 1, 1_000_000);
    const maxSamples = flags['max-samples'] === undefined ? undefined : parseInteger('max-samples', flags['max-samples'], 2, Number.MAX_SAFE_INTEGER);
    const seed = flags.seed === undefined ? undefined : parseInteger('seed', flags.seed, 0, 0xffffffff);
    const contamination = flags.contamination === undefined ? undefined : parseContamination(flags.contamination);

    const source = flags.input === '-' ? 'stdin' : flags.input;
    const table = parseNumericCsv(await readInput(flags.input, io), { source });
    if (table.columns.length === 0) {
      throw new InputError(`${source}: no feature columns (every column but 'timestamp' is a feature)`);
    }
    if (table.rows < 2) {
      throw new InputError(`${source}: ${table.rows} data row${table.rows === 1 ? '' : 's'}; scoring needs at least 2`);
    }
    const matrix = matrixFromColumns(table.columns.map((column) => column.values));
    const forest = fitForest(matrix, { trees, maxSamples, seed });
    const scores = forest.score(matrix);

    const lines: string[] = [];
    if (contamination === undefined) {
      lines.push('score');
      for (const score of scores) lines.push(formatScore(score));
    } else {
      const threshold = contaminationThreshold(scores, contamination);
      lines.push('score,anomaly');
      for (const score of scores) lines.push(`${formatScore(score)},${score > threshold ? 1 : 0}`);
    }
    io.stdout(`${lines.join('\n')}\n`);
    return 0;
  },
};
