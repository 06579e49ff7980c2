import { describe, expect, it } from 'vitest';
import { createChangeLog } from '../../../src/rollup/change-log.ts';

const H = 3_600_000;
const spans = (entries: [string, number, number][]) =>
  new Map(entries.map(([id, fromMs, toMs]) => [id, { fromMs, toMs }]));

describe('rollup change log', () => {
  it('a change counts only for the meter it touched and only inside the span read', () => {
    const log = createChangeLog();
    const g = log.generation();
    log.record([
      ['m1', 10 * H],
      ['m1', 12 * H],
      ['m2', 50 * H],
    ]);
    expect(log.generation()).toBe(g + 1);
    expect(log.changedSince(g, spans([['m1', 0, 10 * H]]))).toBe(false); // ends where the change starts
    expect(log.changedSince(g, spans([['m1', 0, 10 * H + 1]]))).toBe(true);
    expect(log.changedSince(g, spans([['m1', 13 * H, 20 * H]]))).toBe(false); // m1 changed 10h..13h
    expect(log.changedSince(g, spans([['m1', 12 * H + 5, 20 * H]]))).toBe(true);
    expect(log.changedSince(g, spans([['m3', -Infinity, Infinity]]))).toBe(false);
    expect(log.changedSince(g, spans([['m2', -Infinity, Infinity]]))).toBe(true);
    expect(log.changedSince(g + 1, spans([['m2', -Infinity, Infinity]]))).toBe(false); // not after it
  });

  it('when old entries are dropped, anything older counts as changed', () => {
    const log = createChangeLog(2);
    const g = log.generation();
    log.record([['a', 0]]);
    log.record([['b', 0]]);
    log.record([['c', 0]]);
    expect(log.changedSince(g, spans([['zzz', 0, H]]))).toBe(true);
    expect(log.changedSince(g + 1, spans([['zzz', 0, H]]))).toBe(false);
  });
});
