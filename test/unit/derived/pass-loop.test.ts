import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPassLoop, type NextPass } from '../../../src/derived/pass-loop.ts';
import { InfluxUnavailableError } from '../../../src/store/query/client.ts';

const log = pino({ level: 'silent' });

describe('the derived-data pass loop', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs one pass at a time, again at once while more is due, then waits for a kick', async () => {
    const sizes: number[] = [];
    const plan: NextPass[] = ['now', 'now', 'idle'];
    const loop = createPassLoop({
      name: 't',
      log,
      intervalMs: 1000,
      maxSize: 50,
      run: async (n) => (sizes.push(n), plan.shift()!),
    });
    loop.kick(0);
    await vi.advanceTimersByTimeAsync(10);
    expect(sizes).toEqual([50, 50, 50]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sizes).toHaveLength(3); // idle: nothing until kicked
    expect(loop.state().passes).toBe(3);
  });

  it('halves a pass that ran past the query timeout (issue 25: a slow pass shrinks, it does not repeat itself) and grows back by a quarter a pass', async () => {
    const sizes: number[] = [];
    let slow = 3;
    const loop = createPassLoop({
      name: 't',
      log,
      intervalMs: 10,
      maxSize: 20_000,
      run: async (n) => {
        sizes.push(n);
        if (slow-- > 0) throw new InfluxUnavailableError('ran past 10000 ms', 'influx-timeout');
        return sizes.length < 6 ? 'now' : 'idle';
      },
    });
    loop.kick(0);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sizes).toEqual([20_000, 10_000, 5_000, 2_500, 3_125, 3_907]);
  });

  it('does not run into the same timeout every other pass (seen at npm start: 2,500 ok, 5,000 timed out, 2,500 ...)', async () => {
    let timeouts = 0;
    let done = 0;
    const loop = createPassLoop({
      name: 't',
      log,
      intervalMs: 10,
      maxSize: 20_000,
      run: async (n) => {
        if (n > 3_000) {
          timeouts++;
          throw new InfluxUnavailableError('ran past 10000 ms', 'influx-timeout');
        }
        return ++done < 24 ? 'now' : 'idle';
      },
    });
    loop.kick(0);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(done).toBe(24);
    // 3 to get under it, then about one for every four passes that succeed (doubling back: one for every one).
    expect(timeouts - 3).toBeLessThanOrEqual(24 / 3);
  });

  it('backs off after failures that are not about size, up to the bound, and keeps the size', async () => {
    const at: number[] = [];
    const loop = createPassLoop({
      name: 't',
      log,
      intervalMs: 100,
      maxBackoffMs: 1_000,
      maxSize: 8,
      run: async () => {
        at.push(Date.now());
        throw new InfluxUnavailableError('connection refused');
      },
    });
    const t0 = Date.now();
    loop.kick(0);
    await vi.advanceTimersByTimeAsync(5_000);
    const gaps = at.map((t, i) => (i ? t - at[i - 1]! : t - t0));
    expect(gaps.slice(0, 5)).toEqual([0, 200, 400, 800, 1000]);
    expect(loop.state()).toMatchObject({ size: 8, lastError: 'connection refused' });
  });

  it('stop waits for a running pass at most its timeout, and no pass starts after it', async () => {
    let release!: () => void;
    let runs = 0;
    const loop = createPassLoop({
      name: 't',
      log,
      intervalMs: 10,
      maxSize: 1,
      run: () => (runs++, new Promise<NextPass>((r) => (release = () => r('now')))),
    });
    loop.kick(0);
    await vi.advanceTimersByTimeAsync(1);
    let stopped = false;
    void loop.stop(500).then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(499);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    expect(stopped).toBe(true);
    release();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toBe(1);
    loop.kick(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toBe(1);
  });

  it('a kick never postpones a pass already due sooner', async () => {
    let runs = 0;
    const loop = createPassLoop({ name: 't', log, intervalMs: 1000, maxSize: 1, run: async () => (runs++, 'idle') });
    loop.kick(100);
    loop.kick(5_000);
    await vi.advanceTimersByTimeAsync(150);
    expect(runs).toBe(1);
  });
});
