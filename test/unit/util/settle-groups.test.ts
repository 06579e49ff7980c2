import { describe, expect, it } from 'vitest';
import { createSettleGroups } from '../../../src/util/settle-groups.ts';

describe('settle groups (issue 27: one reaction per write, not per message)', () => {
  it('items on one promise are handed over together, in order, once it resolves; another promise is its own group', async () => {
    const calls: number[][] = [];
    const groups = createSettleGroups<number>((items) => calls.push([...items]));
    let resolveA!: () => void;
    const a = new Promise<void>((r) => (resolveA = r));
    const b = Promise.resolve();
    groups.add(a, 1);
    groups.add(a, 2);
    groups.add(b, 3);
    await b;
    await Promise.resolve();
    expect(calls).toEqual([[3]]);
    resolveA();
    await a;
    await Promise.resolve();
    expect(calls).toEqual([[3], [1, 2]]);
  });

  it('a promise handed out again after it settled starts a new group (its item is not lost)', async () => {
    const calls: string[][] = [];
    const groups = createSettleGroups<string>((items) => calls.push([...items]));
    const p = Promise.resolve();
    groups.add(p, 'first');
    await p;
    await Promise.resolve();
    groups.add(p, 'again');
    await p;
    await Promise.resolve();
    expect(calls).toEqual([['first'], ['again']]);
  });

  it('a rejected promise hands over nothing; after reset() the same promise starts a new group', async () => {
    const calls: string[][] = [];
    const groups = createSettleGroups<string>((items) => calls.push([...items]));
    const rejected = Promise.reject(new Error('write failed'));
    groups.add(rejected, 'x');
    await rejected.catch(() => undefined);
    let resolve!: () => void;
    const p = new Promise<void>((r) => (resolve = r));
    groups.add(p, 'before');
    groups.reset();
    groups.add(p, 'after');
    resolve();
    await p;
    await Promise.resolve();
    expect(calls).toEqual([['before'], ['after']]);
  });

  it('with onRejected, the items of a rejected write are handed to it once, in order, with the error', async () => {
    const failed: [string[], string][] = [];
    const groups = createSettleGroups<string>(
      () => {},
      (items, err) => failed.push([[...items], (err as Error).message]),
    );
    let reject!: (e: Error) => void;
    const p = new Promise<void>((_, r) => (reject = r));
    groups.add(p, 'a');
    groups.add(p, 'b');
    reject(new Error('spool full'));
    await p.catch(() => undefined);
    await Promise.resolve();
    expect(failed).toEqual([[['a', 'b'], 'spool full']]);
  });
});
