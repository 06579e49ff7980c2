import { describe, expect, it } from 'vitest';
import type { AcceptedReading } from '../../../src/model/reading.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRollupMarks,
  readCheckpoint,
  recoverySinceMs,
  safePointMs,
  writeCheckpoint,
} from '../../../src/rollup/marks.ts';
import type { RollupWorker } from '../../../src/rollup/worker.ts';

const H = 3_600_000;
const SLOT = 600_000;
const T = Date.parse('2025-08-01T10:00:00Z');

/** Records what the marks hand to the worker (the worker itself is exercised against InfluxDB in the integration test). */
function recordingWorker(): RollupWorker & { marked: [string, number, number][] } {
  const marked: [string, number, number][] = [];
  return {
    marked,
    markDirty: (id, h, at) => {
      marked.push([id, h, at]);
    },
    holdTail() {},
    distrustTails() {},
    recover() {},
    start() {},
    flush: async () => true,
    stop: async () => {},
    oldestPendingMs: () => (marked.length ? Math.min(...marked.map((m) => m[2])) : undefined),
    state: () => ({ pendingHours: marked.length, passes: 0, hoursRecomputed: 0 }),
  };
}

const reading = (meterId: string, tsMs: number): AcceptedReading =>
  ({ meterId, siteId: 's', tsMs, registerWh: 1, status: 'ok' }) as AcceptedReading;

describe('durable rollup marks', () => {
  it('one mark line per meter-hour of a message, time in the arrival slot with the hour index in the ns digits', () => {
    const marks = createRollupMarks(recordingWorker(), SLOT);
    const lines = marks.linesFor(
      [reading('m1', T + 1000), reading('m1', T + 2000), reading('m1', T + H), reading('m2', T)],
      T + 5 * 60_000 + 123,
    );
    expect(lines).toEqual([
      `rollup_dirty,meter=m1 hour_ms=${T}i ${T}${String((T / H) % 1e6).padStart(6, '0')}`,
      `rollup_dirty,meter=m1 hour_ms=${T + H}i ${T}${String(((T + H) / H) % 1e6).padStart(6, '0')}`,
      `rollup_dirty,meter=m2 hour_ms=${T}i ${T}${String((T / H) % 1e6).padStart(6, '0')}`,
    ]);
  });

  it('after a mark is stored, later messages of the same slot add none; a new slot marks again', () => {
    const w = recordingWorker();
    const marks = createRollupMarks(w, SLOT);
    const r = [reading('m1', T + 1000)];
    expect(marks.linesFor(r, T + 10)).toHaveLength(1);
    // Not stored yet: a second message must carry its own mark.
    expect(marks.linesFor(r, T + 20)).toHaveLength(1);
    marks.stored(r, T + 10);
    marks.stored(r, T + 20);
    expect(marks.linesFor(r, T + 30)).toHaveLength(0);
    marks.stored(r, T + 30);
    expect(marks.linesFor(r, T + SLOT + 1)).toHaveLength(1);
    expect(w.marked.map((m) => m[2])).toEqual([T + 10, T + 20, T + 30]);
  });

  it('issue 27: not stored yet, but in the same write group: one mark per meter-hour in the group; a new group marks again', () => {
    // Before: every message of a meter-hour in flight carried its own mark (11,500 extra lines of 111,500 in a
    // 100,000-reading drain through mosquitto; 21,500 through the embedded broker).
    const marks = createRollupMarks(recordingWorker(), SLOT);
    const [g1, g2] = [{}, {}];
    const r = [reading('m1', T + 1000)];
    expect(marks.linesFor(r, T + 10, g1)).toHaveLength(1);
    expect(marks.linesFor(r, T + 20, g1)).toHaveLength(0);
    expect(marks.linesFor([reading('m1', T + H)], T + 25, g1)).toHaveLength(1); // another hour
    expect(marks.linesFor([reading('m2', T + 1000)], T + 26, g1)).toHaveLength(1); // another meter
    // The next group is a write of its own: the mark of g1 may not be stored when g2's is.
    expect(marks.linesFor(r, T + 30, g2)).toHaveLength(1);
    expect(marks.linesFor(r, T + 40, g2)).toHaveLength(0);
    // A writer that tells no group: each message marks until one is stored, as before.
    expect(marks.linesFor(r, T + 50)).toHaveLength(1);
    expect(marks.linesFor(r, T + 60)).toHaveLength(1);
    // A new arrival slot within one group: marked again (recovery reads marks by slot).
    expect(marks.linesFor(r, T + SLOT + 1, g2)).toHaveLength(1);
  });

  it('the safe point stays before readings still being written and hours not yet rolled up', () => {
    const w = recordingWorker();
    const marks = createRollupMarks(w, SLOT);
    marks.linesFor([reading('m1', T)], T + 100);
    marks.linesFor([reading('m2', T)], T + 200);
    expect(safePointMs(T + 1000, marks, w)).toBe(T + 100);
    marks.stored([reading('m1', T)], T + 100); // now pending in the worker from T + 100
    expect(safePointMs(T + 1000, marks, w)).toBe(T + 100);
    expect(marks.oldestInFlightMs()).toBe(T + 200);
    expect(marks.linesFor([], T + 300)).toEqual([]);
  });

  it("recovery reads the checkpoint's slot back, unless a clean stop wrote it (issue 25)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'kzm-marks-'));
    try {
      const file = join(dir, 'rollup-checkpoint.json');
      writeCheckpoint(file, T, T);
      expect(readCheckpoint(file)).toEqual({ rolledUpBeforeMs: T, clean: false });
      expect(recoverySinceMs(readCheckpoint(file)!, SLOT)).toBe(T - SLOT);
      writeCheckpoint(file, T, T, true);
      expect(recoverySinceMs(readCheckpoint(file)!, SLOT)).toBe(T);
      // A checkpoint of an earlier version (no `clean`) is read as not clean.
      writeFileSync(file, JSON.stringify({ rolledUpBeforeMs: T, writtenAt: new Date(T).toISOString() }));
      expect(readCheckpoint(file)).toEqual({ rolledUpBeforeMs: T, clean: false });
      writeFileSync(file, '{"rolledUpBeforeMs": "soon"}');
      expect(readCheckpoint(file)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
