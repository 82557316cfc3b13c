import { ForestInputError } from './errors.js';

/** Row-major dense matrix: value (r, c) is data[r * cols + c]. */
export interface Matrix {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

function describe(value: number): string {
  return Number.isNaN(value) ? 'NaN' : String(value);
}

/**
 * Builds a {@link Matrix} from an array of rows. Every row must have the same, non-zero length
 * and every value must be a finite number; otherwise a {@link ForestInputError} names the row
 * and column (both 0-based).
 */
export function matrixFromRows(rows: readonly (readonly number[])[]): Matrix {
  if (rows.length === 0) throw new ForestInputError('matrix has no rows');
  const cols = rows[0]!.length;
  if (cols === 0) throw new ForestInputError('matrix has no columns (row 0 is empty)');
  const data = new Float64Array(rows.length * cols);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    if (row.length !== cols) {
      throw new ForestInputError(`ragged matrix: row ${r} has ${row.length} values, row 0 has ${cols}`);
    }
    for (let c = 0; c < cols; c++) {
      const value = row[c]!;
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new ForestInputError(`row ${r}, column ${c}: ${describe(value)} is not a finite number`);
      }
      data[r * cols + c] = value;
    }
  }
  return { data, rows: rows.length, cols };
}

/**
 * Builds a {@link Matrix} from columns (one array per feature, all the same non-zero length).
 * Non-finite values and ragged columns throw a {@link ForestInputError} naming row and column.
 */
export function matrixFromColumns(columns: readonly ArrayLike<number>[]): Matrix {
  if (columns.length === 0) throw new ForestInputError('matrix has no columns');
  const cols = columns.length;
  const rows = columns[0]!.length;
  if (rows === 0) throw new ForestInputError('matrix has no rows (column 0 is empty)');
  const data = new Float64Array(rows * cols);
  for (let c = 0; c < cols; c++) {
    const column = columns[c]!;
    if (column.length !== rows) {
      throw new ForestInputError(`ragged matrix: column ${c} has ${column.length} values, column 0 has ${rows}`);
    }
    for (let r = 0; r < rows; r++) {
      const value = column[r]!;
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new ForestInputError(`row ${r}, column ${c}: ${describe(value)} is not a finite number`);
      }
      data[r * cols + c] = value;
    }
  }
  return { data, rows, cols };
}

/**
 * Checks a {@link Matrix} that may have been assembled by hand: shape consistent with its data,
 * every value finite. `what` names the matrix in the message ("training data").
 */
export function assertValidMatrix(matrix: Matrix, what: string): void {
  const { data, rows, cols } = matrix;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new ForestInputError(`${what}: rows and cols must be non-negative integers, got ${rows} x ${cols}`);
  }
  if (rows === 0) throw new ForestInputError(`${what} has no rows`);
  if (cols === 0) throw new ForestInputError(`${what} has no columns`);
  if (data.length !== rows * cols) {
    throw new ForestInputError(`${what}: data has ${data.length} values, expected rows x cols = ${rows * cols}`);
  }
  for (let i = 0; i < data.length; i++) {
    const value = data[i]!;
    // `value - value` is NaN exactly for NaN and +-Infinity; cheaper than Number.isFinite in this loop.
    if (value - value !== 0) {
      throw new ForestInputError(
        `${what}: row ${Math.floor(i / cols)}, column ${i % cols}: ${describe(value)} is not a finite number`,
      );
    }
  }
}
