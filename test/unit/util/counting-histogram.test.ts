import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CountingHistogram } from '../../../src/util/counting-histogram.ts';

/** Issue 27: the stored-age histogram's cheap observe() must scrape exactly as prom-client's Histogram does. */
describe('CountingHistogram', () => {
  const BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60, 300, 3600, 86_400];
  const scrapes = () => {
    const [a, b] = [new Registry(), new Registry()];
    const theirs = new Histogram({ name: 'age_seconds', help: 'age', buckets: BUCKETS, registers: [a] });
    const mine = new CountingHistogram('age_seconds', 'age', BUCKETS, b);
    return { a, b, observe: (v: number) => (theirs.observe(v), mine.observe(v)), mine, theirs };
  };

  it('scrapes as prom-client, empty, then after values on, between and beyond the bounds', async () => {
    const { a, b, observe } = scrapes();
    expect(await b.metrics()).toBe(await a.metrics());
    for (const v of [0, 0.01, 0.0100001, 0.3, 0.31, 7, 86_400, 86_401, 1e9, 2.5, 0.049, 0.05])
      for (let k = 0; k < 3; k++) observe(v);
    const text = await b.metrics();
    expect(text).toBe(await a.metrics());
    expect(text).toContain('age_seconds_bucket{le="+Inf"} 36');
    expect(text).toContain('age_seconds_bucket{le="0.01"} 6');
  });

  it('resets as prom-client does', async () => {
    const { a, b, observe, mine, theirs } = scrapes();
    observe(1);
    mine.reset();
    theirs.reset();
    theirs.zero({});
    expect(await b.metrics()).toBe(await a.metrics());
  });
});
