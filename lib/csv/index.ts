/** Reading numeric CSV files (header row, numbers, an optional timestamp column). */
export {
  CsvError,
  type CsvColumn,
  type CsvOptions,
  type CsvTable,
  type CsvTimestamps,
  parseNumericCsv,
  parseTimestamp,
} from './numeric-csv.js';
