/** `aiops-detector` from the sources (no build needed), for run.ts's CLI run under a small heap. */
import { main } from '../../functions/cli.js';

process.exitCode = await main(process.argv.slice(2));
