/**
 * The incremental rollup's cut must never move back (found when "racing passes every 10 ms" in
 * rollup-incremental.test.ts failed under load: an hour counted 662 readings, 360 stored). A pass extends an
 * hour known up to cut 30; a late reading at 15 is stored while the pass runs, so the new cut is 14. The
 * summary kept was the old one (readings up to 30) labelled "up to 14"; the next pass read everything after 14
 * and merged it on: 20 and 30 counted twice. An hour whose cut would move back is read whole next time.
 */
import { describe, expect, it } from 'vitest';
import { hourKey, recomputeRollups } from '../../src/rollup/compute.ts';
import { createRollupCache } from '../../src/rollup/rollup-cache.ts';
import { useInflux } from '../helpers/influx.ts';
import { postLines } from '../unit/ledger/store-fixtures.ts';

const H = 3_600_000;
const HOUR = Math.floor(Date.UTC(2025, 6, 1, 5) / H) * H;
const influx = useInflux();

const reading = (s: number) => {
  const ts = HOUR + s * 1000;
  return `reading,meter=m1,site=s1 wh=${1000 + s}i,fault=0i,rx_ms=${ts}i ${ts}000000`;
};

describe('incremental rollups: the cut of a known hour', () => {
  it('a late reading (15 s) stored during a pass that extends an hour known to 30 s: 5 readings counted, not 7', async () => {
    const target = await influx.database();
    const cache = createRollupCache();
    const k = hourKey('m1', HOUR);
    const lines: string[] = [];
    const pass = (extend: boolean, storedDuringPassS?: number) =>
      recomputeRollups(target, { write: async (l) => void lines.push(...l) }, new Map([['m1', [HOUR]]]), undefined, {
        cache,
        extend: new Set(extend ? [k] : []),
        cutAfterRead: (_k, newest) =>
          Math.min(newest, (storedDuringPassS === undefined ? Infinity : HOUR + storedDuringPassS * 1000) - 1),
      });
    await postLines(target, [reading(10), reading(20), reading(30)]);
    await pass(false); // read whole: known up to 30 s
    expect(cache.hour(k)?.cutMs).toBe(HOUR + 30_000);
    await postLines(target, [reading(40), reading(15)]); // 15 arrives while the next pass runs
    await pass(true, 15);
    // The next pass is offered the hour to extend (every reading stored since is after the cut it reports).
    const known = cache.hour(k);
    await pass(known !== undefined && HOUR + 15_000 > known.cutMs);
    const last = lines.filter((l) => l.startsWith('reading_1h')).at(-1)!;
    expect(last).toMatch(/\bcount=5i/);
  });
});
