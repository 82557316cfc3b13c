/**
 * The one configuration schema (zod 4). It describes what a YAML file (or the object built
 * from the seed's environment variables) may contain, fills the documented defaults and checks
 * every key; lib/config/parse-config.ts turns its output into the frozen {@link Config}.
 * Every object is strict: an unknown key (a typo) is an error, not silently ignored.
 */
import * as z from 'zod';
import { featureNames } from '../detect/features.js';
import type { FeatureName } from './config.js';
import { parseDuration, type DurationUnit } from './duration.js';

/** Defaults, one place; README's configuration table quotes these. */
export const configDefaults = {
  prometheusUrl: 'http://localhost:9090',
  prometheusTimeoutMs: 10_000,
  prometheusRetries: 3,
  recordingRebase: true,
  windowMinutes: 1440,
  stepSeconds: 60,
  minPoints: 30,
  contamination: 0.05,
  // On the calibrated log-likelihood scale (lib/detect/likelihood.ts): 0.5 is a 1-in-100,000
  // forest score for the series. NAB's optimal threshold for these defaults is 0.498; healthy
  // Gaussian noise reaches 0.5 in about 1 evaluation in 860 (README "What it costs").
  minScore: 0.5,
  forEvaluations: 1,
  features: ['value', 'diff', 'deviation', 'stddev'] as const,
  trees: 100,
  maxSamples: 256,
  refitEveryPoints: 10,
  smoothPoints: 3,
  suppressPoints: 100,
  severity: 'warning' as const,
  repeatIntervalMinutes: 240,
  resolveAfter: 2,
  sendResolved: true,
  sinkTimeoutMs: 10_000,
  sinkRetries: 3,
  dynamodbTtlDays: 30,
  concurrency: 4,
  logLevel: 'info' as const,
};

const unitWords: Record<DurationUnit, string> = { ms: 'milliseconds', s: 'seconds', min: 'minutes' };

/** A positive duration in `unit`: a number, or a string such as `60s`, `5m`, `1h30m`. */
function duration(unit: DurationUnit) {
  return z
    .union([z.number(), z.string()], { error: `must be a number of ${unitWords[unit]} or a duration such as 60s, 5m, 1h` })
    .transform((value, ctx) => {
      const parsed = parseDuration(value, unit);
      if (parsed === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a number of ${unitWords[unit]} or a duration such as 60s, 5m, 1h (got ${JSON.stringify(value)})`,
        });
        return z.NEVER;
      }
      return parsed;
    })
    .pipe(z.number().gt(0, { error: 'must be > 0' }));
}

function integer(min: number) {
  return z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .gte(min, { error: `must be >= ${min}` });
}

const nonEmpty = z.string({ error: 'must be a string' }).trim().min(1, { error: 'must not be empty' });

/** Prometheus label names: `[a-zA-Z_][a-zA-Z0-9_]*`. */
const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: 'label names must match [a-zA-Z_][a-zA-Z0-9_]*' });

/**
 * Where a secret comes from. A bare string is shorthand for `{ value: ... }` (kept out of logs
 * like the others, but README recommends `env` or `file`).
 */
export const secretRefSchema = z.union(
  [
    z.string().min(1).transform((value) => ({ value })),
    z.strictObject({ env: nonEmpty }),
    z.strictObject({ file: nonEmpty }),
    z.strictObject({ secretsManager: nonEmpty }),
    z.strictObject({ value: nonEmpty }),
  ],
  {
    error: (issue) =>
      issue.input === undefined ? 'is required' : 'must be { env: NAME }, { file: PATH }, { secretsManager: ID } or { value: ... }',
  },
);

const authSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('none') }),
    z.strictObject({ type: z.literal('bearer'), token: secretRefSchema }),
    z.strictObject({ type: z.literal('basic'), username: nonEmpty, password: secretRefSchema }),
    z.strictObject({
      type: z.literal('sigv4'),
      /** Optional for an aps-workspaces URL (taken from the host); required otherwise. */
      region: nonEmpty.optional(),
      service: nonEmpty.default('aps'),
    }),
  ],
  { error: 'must be one of none, bearer, basic, sigv4' },
);

const httpUrl = z
  .string({ error: 'must be a URL' })
  .refine((value) => /^https?:\/\/[^/]/i.test(value) && URL.canParse(value), { error: 'must be an http:// or https:// URL' });

const prometheusSchema = z.strictObject({
  url: httpUrl.optional(),
  auth: authSchema.optional(),
  headers: z.record(z.string(), z.string({ error: 'header values must be strings' })).default({}),
  caFile: nonEmpty.optional(),
  timeoutMs: duration('ms').default(configDefaults.prometheusTimeoutMs),
  retries: integer(0).default(configDefaults.prometheusRetries),
  remoteWriteUrl: httpUrl.optional(),
  recording: z
    .strictObject({
      path: nonEmpty,
      rebase: z.boolean({ error: 'must be true or false' }).default(configDefaults.recordingRebase),
    })
    .optional(),
});

const contaminationMessage = "must be 'auto' or a fraction in (0, 0.5]";
const contaminationSchema = z.union(
  [z.literal('auto'), z.number().gt(0, { error: contaminationMessage }).lte(0.5, { error: contaminationMessage })],
  { error: contaminationMessage },
);

const featureSchema = z.enum(featureNames as [FeatureName, ...FeatureName[]], {
  error: `features must be one of ${featureNames.join(', ')}`,
});

export const detectorSchema = z.strictObject({
  name: nonEmpty,
  query: nonEmpty,
  windowMinutes: duration('min').default(configDefaults.windowMinutes),
  stepSeconds: duration('s').default(configDefaults.stepSeconds),
  minPoints: integer(2).default(configDefaults.minPoints),
  contamination: contaminationSchema.default(configDefaults.contamination),
  minScore: z.number({ error: 'must be a number' }).gte(0, { error: 'must be in [0, 1]' }).lte(1, { error: 'must be in [0, 1]' }).default(configDefaults.minScore),
  forEvaluations: integer(1).default(configDefaults.forEvaluations),
  features: z
    .array(featureSchema)
    .min(1, { error: 'must name at least one feature' })
    .refine((list) => new Set(list).size === list.length, { error: 'must not repeat a feature' })
    .default([...configDefaults.features]),
  trees: integer(1).default(configDefaults.trees),
  maxSamples: integer(2).default(configDefaults.maxSamples),
  refitEveryPoints: integer(1).default(configDefaults.refitEveryPoints),
  smoothPoints: integer(1).default(configDefaults.smoothPoints),
  suppressPoints: integer(0).default(configDefaults.suppressPoints),
  severity: z.enum(['info', 'warning', 'critical'], { error: 'must be info, warning or critical' }).default(configDefaults.severity),
  labels: z.record(labelName, z.string({ error: 'label values must be strings' })).default({}),
});

const stateStoreObject = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('memory') }),
    z.strictObject({ type: z.literal('file'), path: nonEmpty }),
    z.strictObject({
      type: z.literal('dynamodb'),
      table: nonEmpty,
      region: nonEmpty.optional(),
      ttlDays: integer(1).default(configDefaults.dynamodbTtlDays),
    }),
    z.strictObject({ type: z.literal('prometheus'), lookbackMinutes: duration('min').optional() }),
  ],
  { error: 'must be one of memory, file, dynamodb, prometheus' },
);

/** `memory`, `prometheus`, `file:PATH`, `dynamodb:TABLE` as shorthand for the objects. */
const stateStoreShorthand = z.string().transform((text, ctx) => {
  const trimmed = text.trim();
  if (trimmed === 'memory') return { type: 'memory' as const };
  if (trimmed === 'prometheus') return { type: 'prometheus' as const };
  if (trimmed.startsWith('file:') && trimmed.length > 'file:'.length) {
    return { type: 'file' as const, path: trimmed.slice('file:'.length) };
  }
  if (trimmed.startsWith('dynamodb:') && trimmed.length > 'dynamodb:'.length) {
    return { type: 'dynamodb' as const, table: trimmed.slice('dynamodb:'.length), ttlDays: configDefaults.dynamodbTtlDays };
  }
  ctx.addIssue({ code: 'custom', message: `must be memory, file:PATH, dynamodb:TABLE or prometheus (got ${JSON.stringify(text)})` });
  return z.NEVER;
});

export const stateStoreSchema = z.union([stateStoreShorthand, stateStoreObject], {
  error: 'must be memory, file:PATH, dynamodb:TABLE, prometheus, or an object with a type',
});

const sinkName = nonEmpty.regex(/^[A-Za-z0-9_.:-]+$/, { error: 'must contain only letters, digits and _ . : -' });
const sinkCommon = {
  name: sinkName.optional(),
  timeoutMs: duration('ms').default(configDefaults.sinkTimeoutMs),
  retries: integer(0).default(configDefaults.sinkRetries),
};

export const sinkSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('console'), ...sinkCommon }),
    z.strictObject({ type: z.literal('slack'), url: secretRefSchema, ...sinkCommon }),
    z.strictObject({ type: z.literal('teams'), url: secretRefSchema, ...sinkCommon }),
    z.strictObject({ type: z.literal('alertmanager'), url: secretRefSchema, ...sinkCommon }),
    z.strictObject({ type: z.literal('webhook'), url: secretRefSchema, signingSecret: secretRefSchema.optional(), ...sinkCommon }),
  ],
  { error: 'must be one of slack, teams, alertmanager, webhook, console' },
);

const alertsSchema = z.strictObject({
  repeatIntervalMinutes: duration('min').default(configDefaults.repeatIntervalMinutes),
  resolveAfter: integer(1).default(configDefaults.resolveAfter),
  sendResolved: z.boolean({ error: 'must be true or false' }).default(configDefaults.sendResolved),
  stateStore: stateStoreSchema.optional(),
  sinks: z.array(sinkSchema, { error: 'must be a list of sinks' }).default([]),
});

/** The whole file. `alerts` may be left out; `prometheus` too when `PROMETHEUS_URL`'s default suits. */
export const configSchema = z.strictObject({
  prometheus: prometheusSchema.prefault({}),
  detectors: z.array(detectorSchema, { error: 'must be a list of detectors' }).min(1, { error: 'must list at least one detector' }),
  alerts: alertsSchema.prefault({}),
  concurrency: integer(1).default(configDefaults.concurrency),
  logLevel: z.enum(['debug', 'info', 'warn', 'error'], { error: 'must be debug, info, warn or error' }).default(configDefaults.logLevel),
  /** Present: scores are remote-written after each run unless `enabled: false`. */
  writeBack: z
    .strictObject({ enabled: z.boolean({ error: 'must be true or false' }).default(true) })
    .optional(),
});

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
