import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { bucketQuantile, histogramDiff, histogramOf, metricValue, percentile } from '../../../bench/prom-scrape.ts';

/** The latency bench reads the service's histogram from /metrics text: parsed from what prom-client really writes. */
const NAME = 'kzm_ingest_reading_age_at_store_seconds';

function histogram() {
  const registry = new Registry();
  const h = new Histogram({ name: NAME, help: 'age', buckets: [0.1, 0.5, 1, 5], registers: [registry] });
  const rejected = new Counter({
    name: 'kzm_ingest_rejected_total',
    help: 'r',
    labelNames: ['reason'],
    registers: [registry],
  });
  return { registry, h, rejected };
}

describe('bench: histogram from a /metrics scrape', () => {
  it('takes the difference of two scrapes and interpolates quantiles within buckets', async () => {
    const { registry, h } = histogram();
    for (let i = 0; i < 1000; i++) h.observe(100); // before the phase: far in +Inf, must not count
    const before = histogramOf(await registry.metrics(), NAME);
    expect(before.count).toBe(1000);
    // the phase: 50 in (0, 0.1], 40 in (0.1, 0.5], 10 in (0.5, 1]
    for (let i = 0; i < 50; i++) h.observe(0.05);
    for (let i = 0; i < 40; i++) h.observe(0.3);
    for (let i = 0; i < 10; i++) h.observe(0.7);
    const phase = histogramDiff(before, histogramOf(await registry.metrics(), NAME));
    expect(phase.count).toBe(100);
    expect(phase.sum).toBeCloseTo(50 * 0.05 + 40 * 0.3 + 10 * 0.7, 6);
    expect(phase.buckets.map((b) => b.count)).toEqual([50, 90, 100, 100, 100]);
    // p50: rank 50 = the end of the first bucket; p75: 25 of the 40 in (0.1, 0.5]; p99: 9 of the 10 in (0.5, 1]
    expect(bucketQuantile(phase, 0.5).value).toBeCloseTo(0.1, 9);
    expect(bucketQuantile(phase, 0.75).value).toBeCloseTo(0.1 + 0.4 * (25 / 40), 9);
    expect(bucketQuantile(phase, 0.99)).toEqual({ value: expect.closeTo(0.5 + 0.5 * 0.9, 9), aboveLastBound: false });
  });

  it('flags a quantile beyond the last finite bucket and gives NaN for an empty phase', async () => {
    const { registry, h } = histogram();
    const empty = histogramOf(await registry.metrics(), NAME);
    expect(bucketQuantile(empty, 0.99).value).toBeNaN();
    for (let i = 0; i < 10; i++) h.observe(i < 5 ? 0.05 : 30);
    expect(bucketQuantile(histogramOf(await registry.metrics(), NAME), 0.99)).toEqual({
      value: 5,
      aboveLastBound: true,
    });
  });

  it('sums a counter over its label sets, 0 when absent, and does not match longer names', async () => {
    const { registry, h, rejected } = histogram();
    h.observe(1);
    rejected.inc({ reason: 'schema' }, 3);
    rejected.inc({ reason: 'future-timestamp' }, 2);
    const text = await registry.metrics();
    expect(metricValue(text, 'kzm_ingest_rejected_total')).toBe(5);
    expect(metricValue(text, 'kzm_ingest_rejected')).toBe(0);
    expect(metricValue(text, 'kzm_ingest_readings_accepted_total')).toBe(0);
  });

  it('percentile of exact samples by nearest rank', () => {
    const xs = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(new Float64Array(0), 50)).toBeNaN();
  });
});
