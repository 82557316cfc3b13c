/**
 * CloudWatch Embedded Metric Format, checked the way CloudWatch Logs reads it: no CloudWatch
 * can run here, so the lines a handler prints are parsed and held against the specification
 * (docs.aws.amazon.com, "Specification: Embedded metric format"): a root `_aws` member with a
 * millisecond `Timestamp` and `CloudWatchMetrics` directives, each with a `Namespace`, dimension
 * sets naming root members that hold strings, and metrics naming root members that hold a
 * number or up to 100 numbers.
 */

export interface EmfObject {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit?: string }[] }[];
  };
  [member: string]: unknown;
}

const units = new Set([
  'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes', 'Bits', 'Kilobits',
  'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count', 'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second',
  'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second', 'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second',
  'Terabits/Second', 'Count/Second', 'None',
]);

/** What in `value` breaks the EMF specification; empty when it is a valid EMF object. */
export function emfProblems(value: unknown): string[] {
  const problems: string[] = [];
  if (typeof value !== 'object' || value === null) return ['not an object'];
  const root = value as Record<string, unknown>;
  const aws = root._aws as Record<string, unknown> | undefined;
  if (typeof aws !== 'object' || aws === null) return ['no _aws member'];
  if (!Number.isInteger(aws.Timestamp)) problems.push('_aws.Timestamp is not an integer of milliseconds');
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives) || directives.length === 0) return [...problems, '_aws.CloudWatchMetrics is not a non-empty array'];
  for (const directive of directives as Record<string, unknown>[]) {
    if (typeof directive.Namespace !== 'string' || directive.Namespace === '' || directive.Namespace.length > 255) problems.push('bad Namespace');
    const dimensions = directive.Dimensions;
    if (!Array.isArray(dimensions)) problems.push('Dimensions is not an array');
    for (const set of Array.isArray(dimensions) ? (dimensions as unknown[]) : []) {
      if (!Array.isArray(set) || set.length > 30) {
        problems.push('a dimension set is not an array of at most 30 names');
        continue;
      }
      for (const name of set as unknown[]) {
        if (typeof name !== 'string' || typeof root[name] !== 'string') problems.push(`dimension ${String(name)} is not a string member`);
      }
    }
    const metrics = directive.Metrics;
    if (!Array.isArray(metrics) || metrics.length > 100) {
      problems.push('Metrics is not an array of at most 100 definitions');
      continue;
    }
    for (const metric of metrics as Record<string, unknown>[]) {
      const name = metric.Name;
      if (typeof name !== 'string' || name === '' || name.length > 255) problems.push('a metric has no valid Name');
      const unit = metric.Unit;
      if (unit !== undefined && (typeof unit !== 'string' || !units.has(unit))) problems.push(`metric ${String(name)}: unknown Unit ${JSON.stringify(unit)}`);
      const member = root[String(name)];
      const values = Array.isArray(member) ? (member as unknown[]) : [member];
      if (values.length === 0 || values.length > 100 || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        problems.push(`metric ${String(name)}: its member is not a number or 1 to 100 numbers`);
      }
    }
  }
  return problems;
}

/** The EMF objects among output lines (lines that are JSON objects with an `_aws` member). */
export function emfObjects(output: string): EmfObject[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfObject);
}
