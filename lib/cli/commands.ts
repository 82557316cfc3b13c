/** The registry of CLI commands, in the order `--help` lists them. Add a command here. */
import { backtestCommand } from './backtest.js';
import type { Command } from './command.js';
import { runCommand } from './run.js';
import { scoreCommand } from './score.js';
import { serveCommand } from './serve.js';

export const commands: readonly Command[] = [runCommand, scoreCommand, backtestCommand, serveCommand];
