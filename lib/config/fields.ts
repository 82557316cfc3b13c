/**
 * The zod building blocks every part of the configuration uses: durations with their unit in
 * the key's name, whole numbers, non-empty strings, URLs and secret references. The sink and
 * state-store registries build their own config shapes from these, so every key reads and fails
 * the same way wherever it lives.
 */
import * as z from 'zod';
import { parseDuration, type DurationUnit } from './duration.js';

const unitWords: Record<DurationUnit, string> = { ms: 'milliseconds', s: 'seconds', min: 'minutes' };

/** A positive duration in `unit`: a number, or a string such as `60s`, `5m`, `1h30m`. */
export function duration(unit: DurationUnit) {
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

/** A whole number >= `min`. */
export function integer(min: number) {
  return z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .gte(min, { error: `must be >= ${min}` });
}

export const nonEmpty = z.string({ error: 'must be a string' }).trim().min(1, { error: 'must not be empty' });

export const boolean = z.boolean({ error: 'must be true or false' });

/** Prometheus label names: `[a-zA-Z_][a-zA-Z0-9_]*`. */
export const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: 'label names must match [a-zA-Z_][a-zA-Z0-9_]*' });

/** What a URL key, `ALERT_WEBHOOK` and every HTTP sink's URL must be: an absolute http(s) URL with a host. */
export function isHttpUrl(value: string): boolean {
  return /^https?:\/\/[^/]/i.test(value) && URL.canParse(value);
}

/** The message for a value that is not {@link isHttpUrl}; it never quotes the value (it may be a secret). */
export const httpUrlMessage = 'must be an http:// or https:// URL';

export const httpUrl = z.string({ error: 'must be a URL' }).refine(isHttpUrl, { error: httpUrlMessage });

/**
 * Where a secret (webhook URL, token, password) comes from; never logged. A bare string is
 * shorthand for `{ value: ... }` (kept out of logs like the others, but the docs recommend `env`
 * or `file`).
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

export type SecretRef = z.output<typeof secretRefSchema>;

/** `a, b or c`: the alternatives of a message. */
export function oneOf(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** A registry entry as the schema sees it: a `type` and the keys it takes. */
export interface RegistryEntry {
  readonly type: string;
  readonly shape: z.ZodRawShape;
}

type EntrySchema<Entry, Common extends z.ZodRawShape> = Entry extends { type: infer Type extends string; shape: infer Shape extends z.ZodRawShape }
  ? z.ZodObject<{ type: z.ZodLiteral<Type> } & Shape & Common, z.core.$strict>
  : never;

/**
 * One strict object per registry entry (`{ type: <its type>, ...its keys, ...common }`), typed
 * as a tuple so `z.discriminatedUnion` derives each variant's type. TypeScript cannot carry a
 * tuple's element types through `Array.map`, hence the one cast.
 */
export function entrySchemas<const Entries extends readonly RegistryEntry[], Common extends z.ZodRawShape>(
  entries: Entries,
  common: Common,
): { [I in keyof Entries]: EntrySchema<Entries[I], Common> } {
  return entries.map((entry) => z.strictObject({ type: z.literal(entry.type), ...entry.shape, ...common })) as never;
}
