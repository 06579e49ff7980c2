import { open, readdir, readFile, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { createSpoolFailures } from './spool-failures.ts';
import { syncDir } from './spool-io.ts';
import { nextWholeRecordIn, readRecord } from './spool-records.ts';

/**
 * The spool's files (src/store/spool.ts): segments named by the global offset of their first byte, the append and
 * replay positions, and cursor.json (the replayed position, saved now and then: replay is idempotent).
 */
export interface Segment {
  readonly base: number;
  /** Bytes of whole, acknowledged records (the file may hold more: a failed append's tail, never read). */
  size: number;
}

const SEGMENT_RE = /^(\d{16})\.log$/;
export const segmentName = (base: number) => `${String(base).padStart(16, '0')}.log`;
const cursorSchema = z.strictObject({ replayedTo: z.number().int().min(0) });
const CURSOR_EVERY_MS = 500;

export interface SegmentsOptions {
  readonly dir: string;
  readonly segmentBytes: number;
  readonly openFile: (path: string, flags: string) => Promise<FileHandle>;
  readonly log: Logger;
  readonly failures: ReturnType<typeof createSpoolFailures>;
  readonly now: () => number;
  /** Called when deleting replayed segments freed space (a full disk may take appends again). */
  readonly onFreed: () => void;
}

export function createSegments(o: SegmentsOptions) {
  const { dir, log } = o;
  const list: Segment[] = [];
  let cursorSavedAt = 0;
  let dropping: Promise<void> | undefined;
  const path = (base: number) => join(dir, segmentName(base));

  const s = {
    list,
    /** The segment appended to, open for writing. */
    active: undefined as FileHandle | undefined,
    /** Global offsets: the end of acknowledged records, and what the replay has handed to InfluxDB. */
    appendEnd: 0,
    replayPos: 0,
    path,
    last: (): Segment => list[list.length - 1]!,
    unreplayed: (): number => s.appendEnd - s.replayPos,

    /** Open the next segment, then close the current one: a failure leaves the current one as it was. */
    async rotate(): Promise<Segment> {
      const seg = { base: s.appendEnd, size: 0 };
      // 'w': a file at this offset can only be a failed rotation's leftover, holding nothing acknowledged.
      const fh = await o.openFile(path(seg.base), 'w');
      try {
        await syncDir(dir);
      } catch (err) {
        await fh.close().catch(() => {});
        throw err;
      }
      const old = s.active;
      s.active = fh;
      list.push(seg);
      await old?.close().catch(() => {});
      return seg;
    },

    /** Delete replayed segments (never the one appended to); one pass at a time. */
    dropReplayed(): Promise<void> {
      dropping ??= (async () => {
        let freed = false;
        while (list.length > 1 && s.replayPos >= list[0]!.base + list[0]!.size) {
          try {
            await unlink(path(list[0]!.base));
            o.failures.recovered('directory');
          } catch (err) {
            if ((err as { code?: string }).code !== 'ENOENT') {
              o.failures.failed('directory', err, { segment: segmentName(list[0]!.base) });
              break; // kept, deleted at a later pass
            }
          }
          list.shift();
          freed = true;
        }
        if (freed) o.onFreed();
      })().finally(() => (dropping = undefined));
      return dropping;
    },

    async saveCursor(force = false): Promise<void> {
      if (!force && o.now() - cursorSavedAt < CURSOR_EVERY_MS) return;
      cursorSavedAt = o.now();
      const file = join(dir, 'cursor.json');
      await writeFile(`${file}.tmp`, JSON.stringify({ replayedTo: s.replayPos }));
      await rename(`${file}.tmp`, file);
    },

    /** At start: the segments on disk, the last one's torn tail cut, the positions, a segment open to append to. */
    async open(): Promise<void> {
      const names = (await readdir(dir)).filter((n) => SEGMENT_RE.test(n)).sort();
      for (const n of names) {
        const fh = await open(join(dir, n), 'r');
        const { size } = await fh.stat().finally(() => fh.close());
        list.push({ base: Number(SEGMENT_RE.exec(n)![1]), size });
      }
      if (list.length) await recoverTail(s.last());
      const tail = list[list.length - 1];
      const cursor = await readCursor();
      s.appendEnd = tail ? tail.base + tail.size : (cursor ?? 0);
      s.replayPos = Math.min(s.appendEnd, Math.max(cursor ?? 0, list[0]?.base ?? 0));
      await s.dropReplayed();
      if (tail && tail.size < o.segmentBytes && list.includes(tail)) s.active = await o.openFile(path(tail.base), 'r+');
      else await s.rotate();
    },

    async close(): Promise<void> {
      await s.active?.close().catch(() => {});
      s.active = undefined;
    },
  };

  /**
   * The last segment may end in a torn record after a crash (never acknowledged): cut it. A damaged stretch with
   * whole records after it is not a torn tail but a disk fault inside acknowledged bytes: kept, for the replay to
   * step over, so no acknowledged record behind it is cut.
   */
  async function recoverTail(seg: Segment): Promise<void> {
    const data = await readFile(path(seg.base));
    let at = 0;
    for (;;) {
      const r = readRecord(data, at, false);
      if (r.kind === 'record') {
        at = r.record.end;
        continue;
      }
      if (at >= data.length) break;
      const next = nextWholeRecordIn(data, at + 1);
      if (next < 0) break;
      log.error({ segment: segmentName(seg.base), at, skippedBytes: next - at }, 'Spool record damaged on disk.');
      at = next;
    }
    if (at < data.length) {
      log.warn(
        { segment: segmentName(seg.base), keptBytes: at, cutBytes: data.length - at },
        'Spool ends in a partial or corrupt record (a crash mid-append, never acknowledged); cut at the last whole record.',
      );
      const fh = await open(path(seg.base), 'r+');
      await fh.truncate(at).finally(() => fh.close());
    }
    seg.size = at;
  }

  async function readCursor(): Promise<number | undefined> {
    try {
      const parsed = cursorSchema.safeParse(JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8')));
      return parsed.success ? parsed.data.replayedTo : undefined;
    } catch {
      return undefined;
    }
  }

  return s;
}

export type Segments = ReturnType<typeof createSegments>;
