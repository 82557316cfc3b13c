/**
 * The one configuration schema (zod 4): what a YAML file (or the object built from the seed's
 * environment variables) may contain. It checks every key, fills every default and derives what
 * follows from other keys (an Amazon Managed Prometheus URL signs its requests, a sink without a
 * name is named after its type), so its output is the configuration every module reads: the
 * types in lib/config/config.ts are `z.output` of these schemas. Sinks and state stores bring
 * their own keys from their registries. Every object is strict: an unknown key (a typo) is an
 * error, not silently ignored.
 */
import * as z from 'zod';
import { stateStoreKinds } from '../alerts/state-store-registry.js';
import { apsRegionOf } from '../aws/aps-workspace.js';
import { featureNames, type FeatureName } from '../detect/features.js';
import { blobStoreForms, blobStoreKinds, blobStoreShorthand, blobStoreShorthandMessage } from '../model/blob-store-registry.js';
import { sinkCommonShape, sinkKinds } from '../sinks/registry.js';
import type { Severity } from '../sinks/sink.js';
import { boolean, duration, entrySchemas, httpUrl, integer, labelName, nonEmpty, oneOf, secretRefSchema, type SecretRef } from './fields.js';

/** Defaults, one place; docs/configuration.md quotes these. */
export const configDefaults = {
  prometheusUrl: 'http://localhost:9090',
  prometheusTimeoutMs: 10_000,
  prometheusRetries: 3,
  // Limits on one query_range answer, measured with `npm run bench:answer` (docs/performance.md,
  // "Very large answers"): a whole run of the built CLI with a 200 MB heap. 10,000 series: a
  // query returning more has almost always lost its aggregation; 10,000 series of a two-hour
  // window took 17-32 s on 2 cores (Lambda's default timeout here is 55 s) and peaked at 226 MB
  // RSS, 20,000 at 310 MB, over the default 256 MB Lambda. 64 MB: about 1,630 series of the
  // default one-day window, a run that peaked at 193 MB RSS. (Read whole, before streaming, a
  // 65 MB answer took 648 MB for the query alone, and the run aborted in JSON.parse.)
  prometheusMaxSeries: 10_000,
  prometheusMaxResponseBytes: 64_000_000,
  recordingRebase: true,
  windowMinutes: 1440,
  stepSeconds: 60,
  minPoints: 30,
  contamination: 0.05,
  // On the calibrated log-likelihood scale (lib/detect/likelihood.ts): 0.5 is a 1-in-100,000
  // forest score for the series. NAB's optimal threshold for these defaults is 0.498; healthy
  // Gaussian noise reaches 0.5 in about 1 evaluation in 860 (docs/detection.md, "What it costs").
  minScore: 0.5,
  forEvaluations: 1,
  features: ['value', 'diff', 'deviation', 'stddev'] as const satisfies readonly FeatureName[],
  trees: 100,
  maxSamples: 256,
  refitEveryPoints: 10,
  smoothPoints: 3,
  suppressPoints: 100,
  severity: 'warning' as const,
  allowNoSeries: false,
  notifyAbsent: false,
  repeatIntervalMinutes: 240,
  resolveAfter: 2,
  sendResolved: true,
  concurrency: 4,
  logLevel: 'info' as const,
  selfMetricsRemoteWrite: false,
  selfMetricsJob: 'aiops-detector',
  // Detector state (lib/model, docs/state.md). 16 shards: at 1,000 series about 1.4 MB each,
  // written every run; more shards are more (smaller) writes.
  stateShards: 16,
  // Five minutes at the default step: samples that reach Prometheus late (remote-write lag)
  // within this are read again and replace what the state held.
  stateRereadPoints: 5,
};

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

export const prometheusSchema = z
  .strictObject({
    /** Base URL (path prefix included). With `recording`, only used for graph links. */
    url: httpUrl.default(configDefaults.prometheusUrl),
    auth: authSchema.optional(),
    headers: z.record(z.string(), z.string({ error: 'header values must be strings' })).default({}),
    /** PEM bundle to trust in addition to the system CAs. */
    caFile: nonEmpty.optional(),
    timeoutMs: duration('ms').default(configDefaults.prometheusTimeoutMs),
    retries: integer(0).default(configDefaults.prometheusRetries),
    /** Series one `query_range` answer may hold; more fails the detector, not retried. */
    maxSeries: integer(1).default(configDefaults.prometheusMaxSeries),
    /** Bytes of one `query_range` answer (after decompression); more fails the detector, not retried. */
    maxResponseBytes: integer(1).default(configDefaults.prometheusMaxResponseBytes),
    /**
     * Remote write endpoint for written-back scores and the `prometheus` state store. Absent:
     * derived from `url` (`/api/v1/write`, or `/api/v1/remote_write` for Amazon Managed
     * Prometheus). Auth, headers, timeout and retries are the ones above.
     */
    remoteWriteUrl: httpUrl.optional(),
    /**
     * Recorded `query_range` responses served instead of a live Prometheus (lib/sources/file):
     * the embedded demo and offline replays. When set, `url` is never contacted.
     */
    recording: z
      .strictObject({
        path: nonEmpty,
        /** Shift the recording so its newest sample lands on the requested window's end. */
        rebase: boolean.default(configDefaults.recordingRebase),
      })
      .optional(),
  })
  .transform(({ auth, ...prometheus }) => {
    const url = prometheus.url.replace(/\/+$/, '');
    const apsRegion = apsRegionOf(url);
    // An Amazon Managed Prometheus workspace only answers signed requests: sign unless told
    // otherwise. A sigv4 region missing for another URL is reported by parseConfig's cross-key
    // rules, so the empty fallback is never used.
    const resolved =
      auth === undefined
        ? apsRegion !== undefined
          ? { type: 'sigv4' as const, region: apsRegion, service: 'aps' }
          : { type: 'none' as const }
        : auth.type === 'sigv4'
          ? { ...auth, region: auth.region ?? apsRegion ?? '' }
          : auth;
    return { ...prometheus, url, auth: resolved };
  });

const contaminationMessage = "must be 'auto' or a fraction in (0, 0.5]";
const contaminationSchema = z.union(
  [z.literal('auto'), z.number().gt(0, { error: contaminationMessage }).lte(0.5, { error: contaminationMessage })],
  { error: contaminationMessage },
);

const featureSchema = z.enum(featureNames as [FeatureName, ...FeatureName[]], {
  error: `features must be one of ${featureNames.join(', ')}`,
});

const scoreSchema = z.number({ error: 'must be a number' }).gte(0, { error: 'must be in [0, 1]' }).lte(1, { error: 'must be in [0, 1]' });

const severities = ['info', 'warning', 'critical'] as const satisfies readonly Severity[];

export const detectorSchema = z.strictObject({
  name: nonEmpty,
  query: nonEmpty,
  windowMinutes: duration('min').default(configDefaults.windowMinutes),
  stepSeconds: duration('s').default(configDefaults.stepSeconds),
  minPoints: integer(2).default(configDefaults.minPoints),
  /** `auto` (score > 0.5) or the fraction of a window treated as anomalous, in (0, 0.5]. */
  contamination: contaminationSchema.default(configDefaults.contamination),
  /**
   * The anomaly score (a likelihood on a log scale, see lib/detect/likelihood.ts) at which the
   * newest point counts as anomalous now; also the score after which `suppressPoints` follow.
   */
  minScore: scoreSchema.default(configDefaults.minScore),
  /** Consecutive anomalous evaluations before an alert fires. */
  forEvaluations: integer(1).default(configDefaults.forEvaluations),
  features: z
    .array(featureSchema)
    .min(1, { error: 'must name at least one feature' })
    .refine((list) => new Set(list).size === list.length, { error: 'must not repeat a feature' })
    .default([...configDefaults.features]),
  trees: integer(1).default(configDefaults.trees),
  maxSamples: integer(2).default(configDefaults.maxSamples),
  /** The forest is refitted every this many steps, each series at its own phase (a hash of its labels). */
  refitEveryPoints: integer(1).default(configDefaults.refitEveryPoints),
  /** The anomaly score judges the average forest score of this many newest points. */
  smoothPoints: integer(1).default(configDefaults.smoothPoints),
  /** After a point reaches `minScore`, this many following points score 0 (one report per onset). */
  suppressPoints: integer(0).default(configDefaults.suppressPoints),
  severity: z.enum(severities, { error: 'must be info, warning or critical' }).default(configDefaults.severity),
  labels: z.record(labelName, z.string({ error: 'label values must be strings' })).default({}),
  /**
   * A query that returns no series fails its detector (an error line, the run not ok), so a
   * misspelt metric never passes silently; `true` when no series is a normal answer (a query
   * such as `errors_total > 0`).
   */
  allowNoSeries: boolean.default(configDefaults.allowNoSeries),
  /**
   * No-data notifications (kind `absent`): a firing series missing from the result for
   * `resolveAfter` runs ends with one instead of `resolved`, and the query returning no series
   * after it returned some fires a detector-level no-data alert (resolved when series are back).
   * Off: a vanished series resolves, as in Prometheus, and an empty query alerts nobody.
   */
  notifyAbsent: boolean.default(configDefaults.notifyAbsent),
});

/** The state-store forms people write, for messages: `memory, file:PATH, dynamodb:TABLE, prometheus`. */
const stateStoreForms = stateStoreKinds.map((kind) =>
  kind.shorthandKey !== undefined ? `${kind.type}:${kind.shorthandKey.toUpperCase()}` : kind.type,
);

const stateStoreObject = z.discriminatedUnion(
  'type',
  entrySchemas(stateStoreKinds, {}),
  { error: `must be one of ${stateStoreKinds.map((kind) => kind.type).join(', ')}` },
);

/** `memory`, `prometheus`, `file:PATH`, `dynamodb:TABLE` as shorthand for the objects. */
const stateStoreShorthand = z
  .string()
  .transform((text, ctx) => {
    const trimmed = text.trim();
    for (const kind of stateStoreKinds) {
      const key: string | undefined = kind.shorthandKey;
      if (key === undefined) {
        if (trimmed === kind.type) return { type: kind.type };
        continue;
      }
      const prefix = `${kind.type}:`;
      if (trimmed.startsWith(prefix) && trimmed.length > prefix.length) return { type: kind.type, [key]: trimmed.slice(prefix.length) };
    }
    ctx.addIssue({ code: 'custom', message: `must be ${oneOf(stateStoreForms)} (got ${JSON.stringify(text)})` });
    return z.NEVER;
  })
  .pipe(stateStoreObject);

export const stateStoreSchema = z.union([stateStoreShorthand, stateStoreObject], {
  error: `must be ${stateStoreForms.join(', ')}, or an object with a type`,
});

const detectorStateStoreObject = z.discriminatedUnion('type', entrySchemas(blobStoreKinds, {}), {
  error: `must be one of ${blobStoreKinds.map((kind) => kind.type).join(', ')}`,
});

/** `memory`, `file:PATH`, `s3:BUCKET[/PREFIX]` as shorthand for the objects. */
const detectorStateShorthand = z
  .string()
  .transform((text, ctx) => blobStoreShorthand(text) ?? (ctx.addIssue({ code: 'custom', message: blobStoreShorthandMessage(text) }), z.NEVER))
  .pipe(detectorStateStoreObject);

const detectorStateStoreSchema = z.union([detectorStateShorthand, detectorStateStoreObject], {
  error: `must be ${blobStoreForms.join(', ')}, or an object with a type`,
});

/** Detector state between runs (lib/model): each series' recent points and fitted model. */
export const stateSchema = z.strictObject({
  /** Off: every run reads and fits the whole window (results are the same, only slower). */
  enabled: boolean.default(true),
  /** Absent: the loader's default (a folder in the temp dir for the CLI, memory otherwise). */
  store: detectorStateStoreSchema.default({ type: 'memory' }),
  /** Shards a detector's points are kept in, each read and written whole every run. */
  shards: integer(1).default(configDefaults.stateShards),
  /** Steps before the state's newest moment read again every run (samples that arrive late). */
  rereadPoints: integer(0).default(configDefaults.stateRereadPoints),
});

export const sinkSchema = z
  .discriminatedUnion(
    'type',
    entrySchemas(sinkKinds, sinkCommonShape),
    { error: `must be one of ${sinkKinds.map((kind) => kind.type).join(', ')}` },
  )
  // Every sink's secret references are readable without a switch over types (absent where the
  // type takes none), so code that lists or checks secrets needs none.
  .transform((sink): typeof sink & { name: string; url?: SecretRef; signingSecret?: SecretRef } => ({ ...sink, name: sink.name ?? sink.type }));

export const alertsSchema = z.strictObject({
  /** Minutes between repeat notifications while a series stays anomalous. */
  repeatIntervalMinutes: duration('min').default(configDefaults.repeatIntervalMinutes),
  /** Consecutive normal evaluations that resolve a firing alert. */
  resolveAfter: integer(1).default(configDefaults.resolveAfter),
  /** Send a notification when an alert resolves. */
  sendResolved: boolean.default(configDefaults.sendResolved),
  /** Absent: the loader's default (a file in the temp dir for the CLI, memory otherwise). */
  stateStore: stateStoreSchema.default({ type: 'memory' }),
  /** None configured: notifications go to the console. */
  sinks: z
    .array(sinkSchema, { error: 'must be a list of sinks' })
    .default([])
    .transform((sinks) =>
      sinks.length > 0 ? sinks : [sinkSchema.parse({ type: 'console', retries: 0 })],
    ),
});

/** The whole file. `alerts` may be left out; `prometheus` too when `PROMETHEUS_URL`'s default suits. */
export const configSchema = z.strictObject({
  prometheus: prometheusSchema.prefault({}),
  detectors: z.array(detectorSchema, { error: 'must be a list of detectors' }).min(1, { error: 'must list at least one detector' }),
  alerts: alertsSchema.prefault({}),
  /** Detectors evaluated at the same time. */
  concurrency: integer(1).default(configDefaults.concurrency),
  /** Diagnostic log level (`LOG_LEVEL` overrides it). */
  logLevel: z.enum(['debug', 'info', 'warn', 'error'], { error: 'must be debug, info, warn or error' }).default(configDefaults.logLevel),
  state: stateSchema.prefault({}),
  /** Present: scores are remote-written after each run unless `enabled: false` (lib/write-back). */
  writeBack: z.strictObject({ enabled: boolean.default(true) }).optional(),
  /** The detector's own metrics (lib/self-metrics); `serve` always answers GET /metrics. */
  selfMetrics: z
    .strictObject({
      /** After each cycle, write its figures by remote write (where writeBack writes): for `run`, which nothing scrapes. */
      remoteWrite: boolean.default(configDefaults.selfMetricsRemoteWrite),
      /** The `job` label of the written series. */
      job: nonEmpty.default(configDefaults.selfMetricsJob),
    })
    .prefault({}),
});

export type ConfigInput = z.input<typeof configSchema>;
