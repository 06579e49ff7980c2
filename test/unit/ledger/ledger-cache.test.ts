import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_QUEUED, createLedgerCache } from '../../../src/ledger/ledger-cache.ts';
import { createChangeLog } from '../../../src/rollup/change-log.ts';

const spans = new Map([['m1', { fromMs: 0, toMs: 100 }]]);

describe('ledger cache', () => {
  it('a failed computation is shared by the requests waiting on it and not kept', async () => {
    const cache = createLedgerCache<number>({ changes: createChangeLog() });
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new Error('InfluxDB down'));
    };
    const both = [cache.get('k', failing), cache.get('k', failing)];
    await expect(both[0]).rejects.toThrow('InfluxDB down');
    await expect(both[1]).rejects.toThrow('InfluxDB down');
    expect(calls).toBe(1);
    expect(await cache.get('k', async () => ({ value: 7, keep: spans }))).toBe(7);
    expect(cache.stats()).toEqual({ computed: 2, shared: 1, cached: 0 });
  });

  it('without a change source nothing is kept; answers without keep are not kept either', async () => {
    const plain = createLedgerCache<number>();
    await plain.get('k', async () => ({ value: 1, keep: spans }));
    await plain.get('k', async () => ({ value: 2, keep: spans }));
    expect(plain.stats()).toMatchObject({ computed: 2, cached: 0 });
    const withChanges = createLedgerCache<number>({ changes: createChangeLog() });
    await withChanges.get('k', async () => ({ value: 1 }));
    expect(await withChanges.get('k', async () => ({ value: 2 }))).toBe(2);
  });

  it('keeps at most maxEntries answers, dropping the least recently used', async () => {
    const cache = createLedgerCache<string>({ changes: createChangeLog(), maxEntries: 2 });
    for (const k of ['a', 'b']) await cache.get(k, async () => ({ value: k, keep: spans }));
    await cache.get('a', async () => ({ value: 'a2', keep: spans })); // hit: a is now the newest
    await cache.get('c', async () => ({ value: 'c', keep: spans })); // drops b
    expect(await cache.get('a', async () => ({ value: 'a3', keep: spans }))).toBe('a');
    expect(await cache.get('b', async () => ({ value: 'b2', keep: spans }))).toBe('b2');
  });

  it('by default 200 distinct ledgers at once all wait their turn; past 2 running + DEFAULT_MAX_QUEUED waiting, 503', async () => {
    const cache = createLedgerCache<number>();
    const gates: (() => void)[] = [];
    const blocked = () => new Promise<{ value: number }>((resolve) => gates.push(() => resolve({ value: 1 })));
    const n = 2 + DEFAULT_MAX_QUEUED;
    expect(n).toBeGreaterThanOrEqual(200);
    const admitted = Array.from({ length: n }, (_, i) => cache.get(`k${i}`, blocked));
    await expect(cache.get('one-too-many', blocked)).rejects.toMatchObject({ statusCode: 503, retryAfterS: 5 });
    while (gates.length) {
      gates.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(admitted)).toEqual(Array.from({ length: n }, () => 1));
    expect(cache.stats().computed).toBe(n);
  });
});

describe('ledger cache: running periods and bytes (issue 22)', () => {
  it('a running answer (not kept) serves identical requests for as long as it took to compute, within min..max', async () => {
    let t = 0;
    const cache = createLedgerCache<number>({ reuseRunning: { minMs: 1000, maxMs: 5000 }, now: () => t });
    let calls = 0;
    const slow = async () => {
      calls++;
      t += 3000; // took 3 s
      return { value: calls };
    };
    expect(await cache.get('q', slow)).toBe(1);
    t += 2999;
    expect(await cache.get('q', slow)).toBe(1); // within 3 s of its end
    t += 2;
    expect(await cache.get('q', slow)).toBe(2); // past it: computed again
    expect(cache.stats()).toMatchObject({ computed: 2, shared: 1, cached: 0 });
  });

  it('without reuseRunning a running answer serves only the requests that came while it was computed', async () => {
    const cache = createLedgerCache<number>();
    let calls = 0;
    await cache.get('q', async () => ({ value: ++calls }));
    expect(await cache.get('q', async () => ({ value: ++calls }))).toBe(2);
  });

  it('kept answers are bounded in bytes: the least recently used go first, one larger than the bound is not kept', async () => {
    const cache = createLedgerCache<string>({
      changes: createChangeLog(),
      sizeOf: (v) => (v as string).length,
      maxKeptBytes: 10,
    });
    await cache.get('a', async () => ({ value: 'aaaa', keep: spans }));
    await cache.get('b', async () => ({ value: 'bbbb', keep: spans }));
    await cache.get('c', async () => ({ value: 'cccc', keep: spans })); // 12 bytes: a goes
    expect(await cache.get('b', async () => ({ value: 'b2', keep: spans }))).toBe('bbbb');
    expect(await cache.get('a', async () => ({ value: 'a2', keep: spans }))).toBe('a2');
    await cache.get('huge', async () => ({ value: 'x'.repeat(11), keep: spans }));
    expect(await cache.get('huge', async () => ({ value: 'y', keep: spans }))).toBe('y');
  });
});
