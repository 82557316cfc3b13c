/** The registry of CLI commands, in the order `--help` lists them. Add a command here. */
import type { Command } from './command.js';
import { runCommand } from './run.js';
import { scoreCommand } from './score.js';

export const commands: readonly Command[] = [runCommand, scoreCommand];
