/**
 * The sink registry: every sink type the configuration knows, in one list. An entry says which
 * keys the sink takes besides the common ones (a zod shape: the config schema is built from
 * these), which `WEBHOOK_FORMAT` values choose it and which webhook URLs it recognises (for the
 * seed's `ALERT_WEBHOOK`), and how to build it once its secrets are resolved.
 *
 * Adding a sink: its adapter file beside this one, plus one entry below.
 */
import type * as z from 'zod';
import { duration, integer, nonEmpty, secretRefSchema, type SecretRef } from '../config/fields.js';
import { createAlertmanagerSink } from './alertmanager.js';
import { createConsoleSink } from './console.js';
import { httpSinkDefaults, type HttpSinkDeps } from './http-delivery.js';
import type { AlertSink } from './sink.js';
import { createSlackSink } from './slack.js';
import { createTeamsSink } from './teams.js';
import { createWebhookSink } from './webhook.js';

/** Keys every sink takes. */
export const sinkCommonShape = {
  /** Unique name, used in logs and as the key of pending deliveries; defaults to the type. */
  name: nonEmpty.regex(/^[A-Za-z0-9_.:-]+$/, { error: 'must contain only letters, digits and _ . : -' }).optional(),
  timeoutMs: duration('ms').default(httpSinkDefaults.timeoutMs),
  retries: integer(0).default(httpSinkDefaults.retries),
};

/** The common keys once parsed: the name filled in from the type. */
export interface SinkCommon {
  name: string;
  timeoutMs: number;
  retries: number;
}

/** What building a sink may use. */
export interface SinkContext {
  /** Resolves a secret reference (and hands the value to the logger's redaction list). */
  secret: (ref: SecretRef) => Promise<string>;
  http: HttpSinkDeps;
  /** Where the console sink writes (stdout by default). */
  consoleWrite?: (line: string) => void;
  /** The alerts' repeat interval: how long a firing alert must stay valid at a receiver. */
  repeatIntervalMinutes: number;
}

export interface SinkKind<Type extends string, Shape extends z.ZodRawShape> {
  type: Type;
  /** Keys beyond {@link sinkCommonShape}. */
  shape: Shape;
  /** `WEBHOOK_FORMAT` values that choose this sink for `ALERT_WEBHOOK`; the first is the documented one. */
  webhookFormats: readonly string[];
  /** True for a webhook URL this sink is known to serve (`ALERT_WEBHOOK` without `WEBHOOK_FORMAT`). */
  recognises?: (url: URL) => boolean;
  create(config: z.output<z.ZodObject<Shape, z.core.$strict>> & SinkCommon, context: SinkContext): AlertSink | Promise<AlertSink>;
}

/** Keeps each entry's config type tied to its shape. */
function sinkKind<Type extends string, Shape extends z.ZodRawShape>(kind: SinkKind<Type, Shape>): SinkKind<Type, Shape> {
  return kind;
}

const url = { url: secretRefSchema };

/** What HTTP sinks take from the common keys. */
function httpOptions(config: SinkCommon, resolvedUrl: string) {
  return { name: config.name, url: resolvedUrl, timeoutMs: config.timeoutMs, retries: config.retries };
}

/**
 * Margin after the repeat interval before Alertmanager resolves a firing alert by itself: the
 * repeat notification must refresh `endsAt` before it passes.
 */
const alertmanagerMarginMs = 15 * 60_000;

/** Every sink type, in the order error messages list them. */
export const sinkKinds = [
  sinkKind({
    type: 'slack',
    shape: url,
    webhookFormats: ['slack'],
    recognises: (u) => u.hostname.toLowerCase() === 'hooks.slack.com',
    create: async (config, context) => createSlackSink(httpOptions(config, await context.secret(config.url)), context.http),
  }),
  sinkKind({
    type: 'teams',
    shape: url,
    webhookFormats: ['teams'],
    // Teams Workflows webhooks live on Power Automate / Logic Apps hosts (the retired Office 365
    // connectors on *.webhook.office.com).
    recognises: (u) => {
      const host = u.hostname.toLowerCase();
      return (
        host.endsWith('.webhook.office.com') ||
        host.endsWith('.logic.azure.com') ||
        host === 'powerplatform.com' ||
        host.endsWith('.powerplatform.com')
      );
    },
    create: async (config, context) => createTeamsSink(httpOptions(config, await context.secret(config.url)), context.http),
  }),
  sinkKind({
    type: 'alertmanager',
    shape: url,
    webhookFormats: ['alertmanager'],
    recognises: (u) => /\/api\/v2\/alerts\/?$/.test(u.pathname),
    create: async (config, context) =>
      createAlertmanagerSink(
        {
          ...httpOptions(config, await context.secret(config.url)),
          activeForMs: context.repeatIntervalMinutes * 60_000 + alertmanagerMarginMs,
        },
        context.http,
      ),
  }),
  sinkKind({
    type: 'webhook',
    shape: { ...url, signingSecret: secretRefSchema.optional() },
    webhookFormats: ['generic', 'webhook'],
    create: async (config, context) => {
      const resolvedUrl = await context.secret(config.url);
      const signingSecret = config.signingSecret !== undefined ? await context.secret(config.signingSecret) : undefined;
      return createWebhookSink({ ...httpOptions(config, resolvedUrl), signingSecret }, context.http);
    },
  }),
  sinkKind({
    type: 'console',
    shape: {},
    webhookFormats: [],
    create: (config, context) => createConsoleSink({ name: config.name }, { write: context.consoleWrite }),
  }),
] as const;

export type SinkType = (typeof sinkKinds)[number]['type'];

/** The entry for `type` (the schema admits no other). */
export function sinkKindOf(type: SinkType): (typeof sinkKinds)[number] {
  return sinkKinds.find((kind) => kind.type === type)!;
}

/** The documented `WEBHOOK_FORMAT` values, one per sink that takes a webhook URL. */
export const webhookFormatNames: readonly string[] = sinkKinds.flatMap((kind) => kind.webhookFormats.slice(0, 1));

/** The sink type a `WEBHOOK_FORMAT` value chooses, or undefined for an unknown one. */
export function sinkTypeOfFormat(format: string): SinkType | undefined {
  return sinkKinds.find((kind) => kind.webhookFormats.includes(format))?.type;
}

/**
 * The sink type a webhook URL most likely wants: the first sink that recognises it, else the
 * generic JSON webhook. A value that is no URL gets the generic sink too, which reports it when
 * it tries to send; nothing of the value is said here.
 */
export function inferSinkType(webhookUrl: string): SinkType {
  let parsed: URL;
  try {
    parsed = new URL(webhookUrl);
  } catch {
    return 'webhook';
  }
  return sinkKinds.find((kind) => kind.recognises?.(parsed))?.type ?? 'webhook';
}
