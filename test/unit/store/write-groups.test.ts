/**
 * The writer's groups as listeners see them (issue 27): nextGroup() names the write the next write() joins, so a
 * durable mark need be written once per group. The write API here is a recorder (the writer's own logic is what
 * is tested; real influxd writes are drilled in test/integration/write-*.test.ts).
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createBatchWriter } from '../../../src/store/batch-writer.ts';

function recorder() {
  const batches: string[][] = [];
  let release: () => void = () => {};
  let gate = Promise.resolve();
  return {
    batches,
    hold() {
      gate = new Promise((r) => (release = r));
    },
    open: () => release(),
    api: {
      async writeLines(lines: readonly string[]) {
        await gate;
        batches.push([...lines]);
      },
    },
  };
}

describe('batch writer groups', () => {
  it('nextGroup() is the group write() joins: the same token until a batch takes from it or it is full', async () => {
    const rec = recorder();
    const w = createBatchWriter({ writeApi: rec.api, batchSize: 4, lingerMs: 1, log: pino({ level: 'silent' }) });
    rec.hold();
    const g1 = w.nextGroup!();
    expect(w.nextGroup!()).toBe(g1);
    const a = w.write(['mark m1', 'a']);
    expect(w.nextGroup!()).toBe(g1);
    const b = w.write(['b']);
    expect(b).toBe(a); // one promise per group
    const c = w.write(['c']); // 4 lines: full
    expect(c).toBe(a);
    const g2 = w.nextGroup!();
    expect(g2).not.toBe(g1);
    const d = w.write(['d']);
    expect(d).not.toBe(a);
    rec.open();
    await Promise.all([a, d]);
    // Every line of a group was stored before its promise resolved, in order.
    expect(rec.batches.flat()).toEqual(['mark m1', 'a', 'b', 'c', 'd']);
    // Once a batch has taken from a group, a new one is handed out.
    expect(w.nextGroup!()).not.toBe(g2);
    await w.stop(1000);
  });
});
