/**
 * Durable dirty marks, so that no stored reading is left out of its rollup
 * when the service dies between storing it and recomputing the rollup.
 *   - The pipeline writes a `rollup_dirty` point in the same write as the
 *     readings of a meter-hour (once per meter, hour and 10-minute slot of
 *     arrival, and not again in a write group that already carries it), and
 *     tells the worker after the write is acknowledged.
 *   - A checkpoint file (<dataDir>/rollup-checkpoint.json) records, every few
 *     seconds, an arrival time before which every mark is rolled up.
 *   - At start, marks from the checkpoint (minus one slot) are read back and
 *     recomputed; without a checkpoint, those of the last `recoverLookbackH`.
 */
import { z } from 'zod';
import { HOUR_MS } from '../fees/index.ts';
import type { AcceptedReading, StoredReadingsListener } from '../model/reading.ts';
import { type QueryStats, emptyStats } from '../store/query/client.ts';
import { readDirtyMarks } from '../store/query/rollup-marks.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import { MARK_SLOT_MS, dirtyMarkLine } from '../store/schema.ts';
import { readJsonFile, writeJsonFile } from '../util/json-file.ts';
import { hourKey } from './compute.ts';
import type { RollupWorker } from './worker.ts';

export { MARK_SLOT_MS };

export interface RollupMarks extends StoredReadingsListener {
  /** Mark lines to write together with these readings (none already in `group`, the write they join). */
  linesFor(readings: readonly AcceptedReading[], receivedMs: number, group?: object): readonly string[];
  /** Those readings (and marks) are stored: hand their meter-hours to the worker. */
  stored(readings: readonly AcceptedReading[], receivedMs: number): void;
  /** Earliest arrival time of readings handed to linesFor and not yet stored. */
  oldestInFlightMs(): number | undefined;
}

const hourOf = (t: number) => Math.floor(t / HOUR_MS) * HOUR_MS;
const NO_LINES: readonly string[] = Object.freeze([]);

export function createRollupMarks(worker: RollupWorker, slotMs = MARK_SLOT_MS): RollupMarks {
  /** Hours marked per meter in the current slot (cleared when the slot changes): no string key per reading. */
  let slot = -1;
  let marked = new Map<string, Set<number>>();
  /**
   * Marks already in the writer's open group (issue 27): until that write is stored, every message of a
   * meter-hour carried its own mark (10,000 messages in flight: 11,500 extra lines in a 100,000-reading drain,
   * 21,500 through the embedded broker). A group's lines are stored together, so one mark in it is enough.
   */
  let group: object | undefined;
  let inGroup = new Map<string, Set<number>>();
  const inFlight = new Map<number, number>();
  const slotOf = (t: number) => Math.floor(t / slotMs);
  const isMarked = (meterId: string, hourMs: number) => marked.get(meterId)?.has(hourMs) ?? false;
  /**
   * The earliest reading of each meter-hour in a message, as [meterId, hourMs, reading]: the mark is per
   * meter-hour and the worker's incremental pass needs the earliest time. Most messages carry one reading.
   */
  const earliestPerHour = (readings: readonly AcceptedReading[]): Iterable<AcceptedReading> => {
    if (readings.length === 1) return readings;
    const earliest = new Map<string, AcceptedReading>();
    for (const r of readings) {
      const k = hourKey(r.meterId, hourOf(r.tsMs));
      const e = earliest.get(k);
      if (!e || r.tsMs < e.tsMs) earliest.set(k, r);
    }
    return earliest.values();
  };
  return {
    linesFor(readings, receivedMs, writeGroup) {
      if (!readings.length) return [];
      inFlight.set(receivedMs, (inFlight.get(receivedMs) ?? 0) + 1);
      if (slotOf(receivedMs) !== slot) {
        slot = slotOf(receivedMs);
        marked = new Map();
        inGroup = new Map();
      }
      if (writeGroup !== group) {
        group = writeGroup;
        if (inGroup.size) inGroup = new Map();
      }
      let lines: string[] | undefined;
      for (const r of earliestPerHour(readings)) {
        const hourMs = hourOf(r.tsMs);
        if (isMarked(r.meterId, hourMs)) continue;
        if (group) {
          const hours = inGroup.get(r.meterId);
          if (hours?.has(hourMs)) continue;
          if (hours) hours.add(hourMs);
          else inGroup.set(r.meterId, new Set([hourMs]));
        }
        (lines ??= []).push(dirtyMarkLine(r.meterId, hourMs, receivedMs, slotMs));
      }
      return lines ?? NO_LINES;
    },
    stored(readings, receivedMs) {
      if (!readings.length) return;
      const n = (inFlight.get(receivedMs) ?? 1) - 1;
      if (n > 0) inFlight.set(receivedMs, n);
      else inFlight.delete(receivedMs);
      const sameSlot = slotOf(receivedMs) === slot;
      for (const r of readings) worker.holdTail(r.meterId, hourOf(r.tsMs), r);
      for (const r of earliestPerHour(readings)) {
        const hourMs = hourOf(r.tsMs);
        if (sameSlot) {
          const hours = marked.get(r.meterId);
          if (hours) hours.add(hourMs);
          else marked.set(r.meterId, new Set([hourMs]));
        }
        worker.markDirty(r.meterId, hourMs, receivedMs, r.tsMs);
      }
    },
    oldestInFlightMs() {
      let min: number | undefined;
      for (const t of inFlight.keys()) if (min === undefined || t < min) min = t;
      return min;
    },
  };
}

/** Hands every mark written at or after sinceMs to the worker; returns how many meter-hours. */
export async function recoverMarks(
  target: InfluxTarget,
  worker: RollupWorker,
  sinceMs: number,
  stats: QueryStats = emptyStats(),
): Promise<number> {
  const seen = new Set<string>();
  for (const mark of await readDirtyMarks(target, sinceMs, stats)) {
    seen.add(`${mark.meterId}\u0000${mark.hourMs}`);
    worker.markDirty(mark.meterId, mark.hourMs, mark.markedMs);
  }
  return seen.size;
}

const checkpointSchema = z.strictObject({
  rolledUpBeforeMs: z.number().int(),
  writtenAt: z.string(),
  /** Written by a stop that left nothing pending or in flight: no mark of its slot waits (see readCheckpoint). */
  clean: z.boolean().optional(),
});

export interface Checkpoint {
  /** Every mark that arrived before this instant is rolled up. */
  readonly rolledUpBeforeMs: number;
  /** A clean stop wrote it: nothing of this process arrived after it. */
  readonly clean: boolean;
}

/** The checkpoint, or undefined when the file is missing or unreadable (then the caller looks back further). */
export function readCheckpoint(file: string): Checkpoint | undefined {
  try {
    const doc = readJsonFile(file, checkpointSchema, (m) => new Error(m));
    return doc && { rolledUpBeforeMs: doc.rolledUpBeforeMs, clean: doc.clean ?? false };
  } catch {
    return undefined;
  }
}

/**
 * Where recovery reads marks from. A mark's time is its arrival cut to the slot, so a checkpoint inside a slot
 * cannot tell the slot's marks that arrived before it from those after: recovery reads the whole slot back (with a
 * 10-minute slot, after a backfill that is everything it wrote then). After a clean stop nothing arrived after the
 * checkpoint, so no mark of that slot waits: recovery reads only marks of later slots (other ingesters').
 */
export function recoverySinceMs(cp: Checkpoint, slotMs = MARK_SLOT_MS): number {
  return cp.clean ? cp.rolledUpBeforeMs : cp.rolledUpBeforeMs - slotMs;
}

export function writeCheckpoint(file: string, rolledUpBeforeMs: number, nowMs: number, clean = false): void {
  writeJsonFile(file, { rolledUpBeforeMs, writtenAt: new Date(nowMs).toISOString(), ...(clean && { clean }) });
}

/** Every mark that arrived before this instant is rolled up. */
export function safePointMs(nowMs: number, marks: RollupMarks, worker: RollupWorker): number {
  return Math.min(nowMs, marks.oldestInFlightMs() ?? Infinity, worker.oldestPendingMs() ?? Infinity);
}
