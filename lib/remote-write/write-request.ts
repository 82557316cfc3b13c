/**
 * Prometheus remote write 1.0 wire format: a `prometheus.WriteRequest` protobuf, snappy
 * block-compressed (https://prometheus.io/docs/specs/remote_write_spec/). The schema is declared
 * here as protobufjs JSON so there is no code generation step; only the fields this project
 * writes are declared (exemplars, histograms and metadata are left out, which the protobuf wire
 * format allows).
 */
import protobuf from 'protobufjs/light.js';
import { compress, uncompress } from 'snappyjs';
import { InputError } from '../errors.js';

/** One sample to write. `labels` must include `__name__`. */
export interface RemoteWriteSample {
  labels: Readonly<Record<string, string>>;
  value: number;
  /** Unix milliseconds, an integer. */
  timestampMs: number;
}

/** One series of a WriteRequest: labels sorted by name, samples in timestamp order. */
export interface TimeSeries {
  labels: { name: string; value: string }[];
  samples: { value: number; timestampMs: number }[];
}

// Field numbers from prometheus/prompb/types.proto and remote.proto (remote write 1.0).
const root = protobuf.Root.fromJSON({
  nested: {
    prometheus: {
      nested: {
        WriteRequest: {
          fields: { timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 } },
        },
        TimeSeries: {
          fields: {
            labels: { rule: 'repeated', type: 'Label', id: 1 },
            samples: { rule: 'repeated', type: 'Sample', id: 2 },
          },
        },
        Label: {
          fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } },
        },
        Sample: {
          fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } },
        },
      },
    },
  },
});
const writeRequestType = root.lookupType('prometheus.WriteRequest');

const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const metricNamePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Groups samples by label set into TimeSeries as the spec wants them: labels sorted by name,
 * labels with an empty value dropped (Prometheus treats an empty label as absent), samples of
 * one series sorted by time. Throws {@link InputError} for a missing or invalid `__name__`,
 * an invalid label name, a non-integer timestamp, or two samples of one series at the same
 * millisecond with different values.
 */
export function toTimeSeries(samples: readonly RemoteWriteSample[]): TimeSeries[] {
  const bySeries = new Map<string, TimeSeries>();
  for (const sample of samples) {
    const labels = normalizeLabels(sample.labels);
    if (!Number.isSafeInteger(sample.timestampMs)) {
      throw new InputError(`Remote write sample ${describeLabels(labels)}: timestamp ${sample.timestampMs} is not an integer of milliseconds`);
    }
    const key = JSON.stringify(labels);
    let series = bySeries.get(key);
    if (!series) {
      series = { labels, samples: [] };
      bySeries.set(key, series);
    }
    series.samples.push({ value: sample.value, timestampMs: sample.timestampMs });
  }
  const result = [...bySeries.values()];
  for (const series of result) {
    series.samples.sort((a, b) => a.timestampMs - b.timestampMs);
    for (let i = 1; i < series.samples.length; i++) {
      const previous = series.samples[i - 1]!;
      const current = series.samples[i]!;
      if (previous.timestampMs === current.timestampMs && !Object.is(previous.value, current.value)) {
        throw new InputError(
          `Remote write series ${describeLabels(series.labels)}: two different values at ${current.timestampMs} ms`,
        );
      }
    }
  }
  return result;
}

function normalizeLabels(labels: Readonly<Record<string, string>>): TimeSeries['labels'] {
  const name = labels.__name__;
  if (name === undefined || !metricNamePattern.test(name)) {
    throw new InputError(`Remote write sample ${JSON.stringify(labels)}: __name__ must be a valid metric name`);
  }
  const out: TimeSeries['labels'] = [];
  for (const labelName of Object.keys(labels).sort()) {
    const value = labels[labelName]!;
    if (!labelNamePattern.test(labelName)) {
      throw new InputError(`Remote write sample ${name}: invalid label name ${JSON.stringify(labelName)}`);
    }
    if (value !== '') out.push({ name: labelName, value });
  }
  return out;
}

function describeLabels(labels: TimeSeries['labels']): string {
  return `{${labels.map((label) => `${label.name}=${JSON.stringify(label.value)}`).join(',')}}`;
}

/** The protobuf bytes of a WriteRequest (not compressed). */
export function encodeWriteRequest(timeseries: readonly TimeSeries[]): Uint8Array {
  const message = writeRequestType.fromObject({
    timeseries: timeseries.map((series) => ({
      labels: series.labels,
      samples: series.samples.map((sample) => ({ value: sample.value, timestamp: sample.timestampMs })),
    })),
  });
  return writeRequestType.encode(message).finish();
}

/** Parses WriteRequest protobuf bytes (not compressed); for receivers in tests and tools. */
export function decodeWriteRequest(bytes: Uint8Array): TimeSeries[] {
  const decoded = writeRequestType.toObject(writeRequestType.decode(bytes), {
    longs: Number,
    defaults: true,
    arrays: true,
  }) as { timeseries: { labels: TimeSeries['labels']; samples: { value: number; timestamp: number }[] }[] };
  return decoded.timeseries.map((series) => ({
    labels: series.labels.map((label) => ({ name: label.name, value: label.value })),
    samples: series.samples.map((sample) => ({ value: sample.value, timestampMs: sample.timestamp })),
  }));
}

/** The HTTP body of a remote write: the WriteRequest, snappy block-compressed. */
export function encodeWriteRequestBody(timeseries: readonly TimeSeries[]): Uint8Array {
  return compress(encodeWriteRequest(timeseries));
}

/** Inverse of {@link encodeWriteRequestBody}. */
export function decodeWriteRequestBody(body: Uint8Array): TimeSeries[] {
  return decodeWriteRequest(uncompress(body));
}
