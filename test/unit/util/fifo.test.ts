import { describe, expect, it } from 'vitest';
import { Fifo } from '../../../src/util/fifo.ts';

describe('Fifo', () => {
  it('keeps order across compactions, interleaved with pushes', () => {
    const q = new Fifo<number>();
    const model: number[] = [];
    let next = 0;
    // Deterministic mix of pushes and shifts that crosses the compaction threshold many times.
    for (let i = 0; i < 50_000; i++) {
      if (i % 3 !== 2) {
        q.push(next);
        model.push(next++);
      } else {
        expect(q.shift()).toBe(model.shift());
      }
      expect(q.length).toBe(model.length);
      expect(q.peek()).toBe(model[0]);
    }
    while (model.length) expect(q.shift()).toBe(model.shift());
    expect(q.shift()).toBeUndefined();
    expect(q.length).toBe(0);
  });

  it('clear empties it', () => {
    const q = new Fifo<string>();
    q.push('a');
    q.push('b');
    q.clear();
    expect(q.length).toBe(0);
    expect(q.peek()).toBeUndefined();
  });
});
