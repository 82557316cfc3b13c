/**
 * The backtest: replay history through the scheduled run's detection and alert lifecycle, from
 * a `timestamp,value` CSV or from Prometheus, and write what the run would have logged as CSV or
 * as rows of the HTML report. `aiops-detector backtest` (lib/cli/backtest.ts) parses its flags
 * and calls this.
 */
export {
  backtestSeries,
  type BacktestInput,
  type BacktestOptions,
  type BacktestResult,
  type BacktestRow,
} from './replay.js';
export {
  replayEach,
  type BacktestSettings,
  type ReplayEachOptions,
  type ReplayInput,
  type ReplayedSeries,
} from './replay-each.js';
export {
  readPrometheusHistory,
  replayPrometheusHistory,
  type NamedSeries,
  type PrometheusReplay,
} from './prometheus-replay.js';
export { readCsvInput, parseCsvSeries, type CsvInputDeps, type CsvInputText, type CsvSeries } from './csv-input.js';
export { formatCsvOutput, formatSeriesOutput } from './csv-output.js';
export { reportSeriesOf } from './report-series.js';
export { parseTimeFlag, parseStepSeconds, formatTime } from './time.js';
