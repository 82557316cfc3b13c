import fc from 'fast-check';
import protobuf from 'protobufjs';
import { uncompress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lib/errors.js';
import {
  decodeWriteRequestBody,
  encodeWriteRequestBody,
  toTimeSeries,
} from '../../../lib/remote-write/write-request.js';

// An independent reading of the wire format: Prometheus' own .proto text (prompb/types.proto and
// remote.proto, the fields remote write 1.0 defines; gogoproto options removed), parsed by
// protobufjs' .proto parser rather than the JSON schema the module declares. A wrong field
// number or type in the module shows up here as a mismatch.
const prompb = protobuf.parse(`
syntax = "proto3";
package prometheus;
message WriteRequest {
  repeated TimeSeries timeseries = 1;
  reserved 2;
  repeated MetricMetadata metadata = 3;
}
message MetricMetadata {
  int32 type = 1;
  string metric_family_name = 2;
  string help = 4;
  string unit = 5;
}
message Sample {
  double value = 1;
  int64 timestamp = 2;
}
message Label {
  string name = 1;
  string value = 2;
}
message TimeSeries {
  repeated Label labels = 1;
  repeated Sample samples = 2;
}
`).root.lookupType('prometheus.WriteRequest');

interface Decoded {
  timeseries: { labels: { name: string; value: string }[]; samples: { value: number; timestamp: number }[] }[];
}

function decodeWithPrompb(body: Uint8Array): Decoded {
  return prompb.toObject(prompb.decode(uncompress(body)), { longs: Number, arrays: true, defaults: true }) as Decoded;
}

describe('remote write encoding', () => {
  it('produces a snappy-compressed WriteRequest that the prompb schema reads back exactly', () => {
    // Prepare: two series, one with two samples given out of time order, 64-bit timestamps.
    const t = 1_767_225_600_123; // 2026-01-01T00:00:00.123Z: needs more than 32 bits
    const series = toTimeSeries([
      { labels: { __name__: 'aiops_anomaly_score', job: 'api', detector: 'latency' }, value: 0.71, timestampMs: t + 60_000 },
      { labels: { __name__: 'aiops_anomaly_score', job: 'api', detector: 'latency' }, value: 0.42, timestampMs: t },
      { labels: { __name__: 'aiops_alert_firing', detector: 'latency' }, value: 1, timestampMs: t },
    ]);

    // Act
    const decoded = decodeWithPrompb(encodeWriteRequestBody(series));

    // Assess: labels sorted by name (the spec requires it), samples in time order.
    expect(decoded.timeseries).toEqual([
      {
        labels: [
          { name: '__name__', value: 'aiops_anomaly_score' },
          { name: 'detector', value: 'latency' },
          { name: 'job', value: 'api' },
        ],
        samples: [
          { value: 0.42, timestamp: t },
          { value: 0.71, timestamp: t + 60_000 },
        ],
      },
      {
        labels: [
          { name: '__name__', value: 'aiops_alert_firing' },
          { name: 'detector', value: 'latency' },
        ],
        samples: [{ value: 1, timestamp: t }],
      },
    ]);
  });

  it('round-trips through its own decoder, keeping NaN and negative values', () => {
    const series = toTimeSeries([
      { labels: { __name__: 'm', a: 'x' }, value: Number.NaN, timestampMs: 1000 },
      { labels: { __name__: 'm', a: 'y' }, value: -2.5e-9, timestampMs: 2000 },
    ]);

    const decoded = decodeWriteRequestBody(encodeWriteRequestBody(series));

    expect(decoded).toHaveLength(2);
    expect(Number.isNaN(decoded[0]!.samples[0]!.value)).toBe(true);
    expect(decoded[1]!.samples[0]).toEqual({ value: -2.5e-9, timestampMs: 2000 });
    expect(decoded[1]!.labels).toEqual([
      { name: '__name__', value: 'm' },
      { name: 'a', value: 'y' },
    ]);
  });

  it('drops labels with an empty value, as Prometheus treats them as absent', () => {
    const [series] = toTimeSeries([{ labels: { __name__: 'm', empty: '', job: 'api' }, value: 1, timestampMs: 1 }]);
    expect(series!.labels.map((label) => label.name)).toEqual(['__name__', 'job']);
  });

  it('rejects samples Prometheus could not store, naming the problem', () => {
    const cases: { labels: Record<string, string>; timestampMs: number; expected: RegExp }[] = [
      { labels: { job: 'api' }, timestampMs: 1, expected: /__name__/ },
      { labels: { __name__: 'bad-name' }, timestampMs: 1, expected: /__name__/ },
      { labels: { __name__: 'm', 'bad.label': 'x' }, timestampMs: 1, expected: /bad\.label/ },
      { labels: { __name__: 'm' }, timestampMs: 1.5, expected: /timestamp 1.5/ },
    ];
    for (const { labels, timestampMs, expected } of cases) {
      let caught: unknown;
      try {
        toTimeSeries([{ labels, value: 1, timestampMs }]);
      } catch (error) {
        caught = error;
      }
      expect(caught, JSON.stringify(labels)).toBeInstanceOf(InputError);
      expect((caught as Error).message).toMatch(expected);
    }
  });

  it('rejects two different values for one series at the same millisecond', () => {
    const samples = [
      { labels: { __name__: 'm' }, value: 1, timestampMs: 5 },
      { labels: { __name__: 'm' }, value: 2, timestampMs: 5 },
    ];
    expect(() => toTimeSeries(samples)).toThrow(/two different values at 5 ms/);
  });

  it('round-trips any label text, double and 53-bit timestamp exactly (property)', () => {
    const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/).filter((name) => name !== '__name__');
    const sample = fc.record({
      name: fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,8}$/),
      labels: fc.dictionary(labelName, fc.string({ unit: 'grapheme', maxLength: 12 }), { maxKeys: 4 }),
      value: fc.double(),
      timestampMs: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    });
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 20 }), (inputs) => {
        // Prepare: one value per series and timestamp (two would be rejected, tested above).
        const seen = new Set<string>();
        const samples = inputs
          .map((s) => ({ labels: { ...s.labels, __name__: s.name }, value: s.value, timestampMs: s.timestampMs }))
          .filter((s) => {
            const key = JSON.stringify([Object.entries(s.labels).filter(([, v]) => v !== '').sort(), s.timestampMs]);
            return seen.has(key) ? false : (seen.add(key), true);
          });

        // Act
        const series = toTimeSeries(samples);
        const decoded = decodeWriteRequestBody(encodeWriteRequestBody(series));

        // Assess: nothing lost or altered, NaN and -0 included.
        expect(decoded).toHaveLength(series.length);
        expect(decoded.reduce((n, s) => n + s.samples.length, 0)).toBe(samples.length);
        decoded.forEach((got, i) => {
          expect(got.labels).toEqual(series[i]!.labels);
          got.samples.forEach((s, j) => {
            expect(Object.is(s.value, series[i]!.samples[j]!.value)).toBe(true);
            expect(s.timestampMs).toBe(series[i]!.samples[j]!.timestampMs);
          });
        });
      }),
      { seed: 20260101, numRuns: 200 },
    );
  });
});
