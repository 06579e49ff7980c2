import { open, type FileHandle } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { createSpoolFailures } from './spool-failures.ts';
import { createPause, nextWholeRecord, retryDelayMs } from './spool-io.ts';
import { readRecord } from './spool-records.ts';
import { segmentName, type Segment, type Segments } from './spool-segments.ts';

/**
 * The spool's replay (src/store/spool.ts): hands acknowledged records to the sink in order, reading only
 * acknowledged bytes. A read that fails (EIO, a file gone unreadable) is retried with backoff, never skipped; a
 * damaged record (a disk fault: acknowledged records were fsynced whole) is stepped over to the next whole one.
 */
export interface ReplayOptions {
  readonly segs: Segments;
  readonly sink: { write(lines: readonly string[]): Promise<void> };
  readonly log: Logger;
  readonly failures: ReturnType<typeof createSpoolFailures>;
  readonly chunkBytes: number;
  readonly stopping: () => boolean;
  /** After each step: wake those waiting for the replay, admit appends that fit now. */
  readonly onProgress: () => void;
}

type Chunk = { lines: string[]; bytes: number; atMs: number } | { damagedAt: number };

export function createReplay(o: ReplayOptions) {
  const { segs, log } = o;
  const pause = createPause();
  let wakeIdle: (() => void) | undefined;
  let oldestAtMs: number | undefined;

  /** Whole records from replayPos: at least one, up to about chunkBytes; or where a damaged record starts. */
  async function readChunk(fh: FileHandle, seg: Segment): Promise<Chunk> {
    const offset = segs.replayPos - seg.base;
    let want = Math.min(o.chunkBytes, seg.size - offset);
    for (;;) {
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, offset);
      const data = buf.subarray(0, bytesRead);
      const lines: string[] = [];
      let at = 0;
      let atMs = NaN;
      for (;;) {
        const r = readRecord(data, at);
        if (r.kind === 'partial') {
          if (at === 0 && r.need <= seg.size - offset && r.need > want) want = r.need;
          break;
        }
        if (r.kind === 'corrupt') break;
        if (at === 0) atMs = r.record.atMs;
        for (const l of r.record.lines) lines.push(l);
        at = r.record.end;
      }
      if (at > 0) return { lines, bytes: at, atMs };
      if (want > bytesRead && bytesRead === buf.length) continue; // a record larger than one chunk: read it whole
      return { damagedAt: segs.replayPos };
    }
  }

  async function stepOver(fh: FileHandle, seg: Segment, damagedAt: number): Promise<void> {
    const next = seg.base + (await nextWholeRecord(fh, damagedAt - seg.base + 1, seg.size));
    o.failures.count('replay', 'damaged record');
    log.error(
      { segment: segmentName(seg.base), at: damagedAt, skippedBytes: next - damagedAt },
      'Spool record damaged on disk; replay goes on at the next whole record.',
    );
    segs.replayPos = next;
  }

  async function once(seg: Segment): Promise<void> {
    const fh = await open(segs.path(seg.base), 'r');
    try {
      const chunk = await readChunk(fh, seg);
      if ('damagedAt' in chunk) return await stepOver(fh, seg, chunk.damagedAt);
      oldestAtMs = chunk.atMs;
      await o.sink.write(chunk.lines);
      segs.replayPos += chunk.bytes;
    } finally {
      await fh.close().catch(() => {});
    }
  }

  async function idle(): Promise<void> {
    oldestAtMs = undefined;
    await segs.saveCursor(true).catch(() => {});
    // Re-check after the await: an append or stop() may have come meanwhile, with no one to wake yet.
    await new Promise<void>((r) => {
      if (o.stopping() || segs.replayPos < segs.appendEnd) r();
      else wakeIdle = r;
    });
    wakeIdle = undefined;
  }

  async function run(): Promise<void> {
    for (let attempt = 0; !o.stopping();) {
      if (segs.replayPos >= segs.appendEnd) {
        await idle();
        continue;
      }
      const p = segs.replayPos;
      const seg = segs.list.find((s) => p >= s.base && p < s.base + s.size);
      if (!seg) {
        segs.replayPos = segs.list.find((s) => s.base > p)?.base ?? segs.appendEnd;
        continue;
      }
      try {
        await once(seg);
        attempt = 0;
        o.failures.recovered('replay');
      } catch (err) {
        o.failures.failed('replay', err, { segment: segmentName(seg.base), retryInMs: retryDelayMs(attempt) });
        await pause.wait(retryDelayMs(attempt++));
        continue;
      }
      await segs.dropReplayed();
      o.onProgress();
      await segs.saveCursor().catch(() => {});
    }
  }

  return {
    run,
    /** New records were acknowledged, or a stop began. */
    wake(): void {
      wakeIdle?.();
      pause.wake();
    },
    oldestAtMs: () => oldestAtMs,
  };
}
