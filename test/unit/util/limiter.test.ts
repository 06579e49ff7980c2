import { describe, expect, it } from 'vitest';
import { OverloadedError, createLimiter } from '../../../src/util/limiter.ts';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('limiter', () => {
  it('runs at most maxActive at once, queues up to maxQueued, refuses the next with a 503 and Retry-After', async () => {
    const l = createLimiter({ maxActive: 2, maxQueued: 3, retryAfterS: 7, what: 'tests' });
    const gate = deferred();
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await gate.promise;
      running--;
      return 'done';
    };
    const accepted = Array.from({ length: 5 }, () => l.run(task));
    expect(l.state()).toEqual({ active: 2, queued: 3 });
    const refused = l.run(task);
    await expect(refused).rejects.toBeInstanceOf(OverloadedError);
    await expect(refused).rejects.toMatchObject({ statusCode: 503, retryAfterS: 7 });
    await expect(refused).rejects.toThrow(/Too many tests at once \(2 running, 3 waiting\)/);
    gate.resolve();
    expect(await Promise.all(accepted)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(peak).toBe(2);
    expect(l.state()).toEqual({ active: 0, queued: 0 });
  });

  it('a failing task frees its place', async () => {
    const l = createLimiter({ maxActive: 1, maxQueued: 0 });
    await expect(l.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await l.run(async () => 42)).toBe(42);
  });
});
