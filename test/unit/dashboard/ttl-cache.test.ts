import { describe, expect, it } from 'vitest';
import { createTtlCache } from '../../../src/http/dashboard/ttl-cache.ts';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
}

describe('ttl cache', () => {
  it('callers of one key share one computation while it runs and until the TTL passes', async () => {
    let t = 0;
    let calls = 0;
    const d = deferred<number>();
    const cache = createTtlCache<number>({ ttlMs: 5000, now: () => t });
    const compute = () => {
      calls++;
      return d.promise;
    };
    const a = cache.get('q', compute);
    t += 10_000; // still running: shared however long it takes
    const b = cache.get('q', compute);
    d.resolve(42);
    expect(await Promise.all([a, b])).toEqual([42, 42]);
    t += 4999;
    expect(
      await cache.get('q', async () => {
        calls++;
        return 7;
      }),
    ).toBe(42);
    expect(calls).toBe(1);
    t += 1;
    expect(
      await cache.get('q', async () => {
        calls++;
        return 7;
      }),
    ).toBe(7);
    expect(calls).toBe(2);
  });

  it('keys are apart; a failure is not kept', async () => {
    const cache = createTtlCache<string>({ ttlMs: 60_000 });
    await expect(
      cache.get('a', async () => {
        throw new Error('influx down');
      }),
    ).rejects.toThrow('influx down');
    expect(await cache.get('a', async () => 'ok')).toBe('ok');
    expect(await cache.get('b', async () => 'other')).toBe('other');
  });

  it('holds at most maxEntries, dropping the oldest', async () => {
    const cache = createTtlCache<number>({ ttlMs: 60_000, maxEntries: 2 });
    for (const k of ['a', 'b', 'c']) await cache.get(k, async () => 1);
    let recomputed = false;
    await cache.get('a', async () => {
      recomputed = true;
      return 2;
    });
    expect(recomputed).toBe(true);
  });
});
