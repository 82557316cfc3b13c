#!/usr/bin/env node
/**
 * Writes recording.json, the embedded sample `npm start` replays: two hours at a 60 s step of
 * the two queries in config.yaml, in the exact shape of Prometheus' `query_range` answer.
 *
 * - request-rate: requests per second of two services, a slow daily-like wave plus noise. Healthy.
 * - latency-p99: p99 latency of the same two services; `checkout` jumps from ~250 ms to over
 *   2.4 s at its newest point (the anomaly the demo shows), `catalog` stays normal.
 *
 * Deterministic (seeded PRNG, fixed timestamps): running it again gives the same file.
 *   node examples/demo/generate-recording.mjs
 * The file source re-bases the timestamps to the time of each run (`rebase: true`).
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

/** mulberry32: a tiny seeded PRNG, so the recording is reproducible. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Roughly normal noise (sum of uniforms), mean 0, standard deviation about `sd`. */
function noise(random, sd) {
  return (random() + random() + random() + random() - 2) * sd * Math.sqrt(3);
}

const points = 120;
const stepSeconds = 60;
const endSeconds = 1_699_999_980; // a whole minute; re-based at replay time
const times = Array.from({ length: points }, (_, i) => endSeconds - (points - 1 - i) * stepSeconds);
const random = prng(20_240_601);
const round = (value, digits) => Number(value.toFixed(digits));

function series(labels, valueAt) {
  return { metric: labels, values: times.map((t, i) => [t, String(valueAt(i))]) };
}

const requestRate = [
  series({ service: 'checkout' }, (i) => round(42 + 6 * Math.sin((2 * Math.PI * i) / 90) + noise(random, 1.5), 3)),
  series({ service: 'catalog' }, (i) => round(130 + 15 * Math.sin((2 * Math.PI * i) / 90 + 1) + noise(random, 4), 3)),
];

const spike = [2.4]; // seconds: the newest point of checkout's p99, as the minute-by-minute run first sees it
const latency = [
  series({ service: 'checkout' }, (i) =>
    i >= points - spike.length ? spike[i - (points - spike.length)] : round(0.25 + noise(random, 0.015), 4),
  ),
  series({ service: 'catalog' }, () => round(0.12 + noise(random, 0.008), 4)),
];

const matrix = (result) => ({ status: 'success', data: { resultType: 'matrix', result } });
const recording = {
  queries: {
    'sum by (service) (rate(demo_http_requests_total[5m]))': matrix(requestRate),
    'histogram_quantile(0.99, sum by (service, le) (rate(demo_http_request_duration_seconds_bucket[5m])))': matrix(latency),
  },
};

const out = join(dirname(fileURLToPath(import.meta.url)), 'recording.json');
// Indented for review, one [time, "value"] pair per line.
const text = JSON.stringify(recording, null, 1).replace(/\[\s+(\d+),\s+("[^"]*")\s+\]/g, '[$1, $2]');
writeFileSync(out, text + '\n');
process.stdout.write(`wrote ${out}\n`);
