import { mkdir, open, type FileHandle } from 'node:fs/promises';
import type { Logger } from 'pino';
import { createSpoolFailures, type SpoolFailing, type SpoolStage } from './spool-failures.ts';
import { SpoolError, createPause, fsCause, retryDelayMs, writeFully } from './spool-io.ts';
import { encodeRecord } from './spool-records.ts';
import { createReplay } from './spool-replay.ts';
import { createSegments, segmentName, type Segment } from './spool-segments.ts';

export { SpoolError } from './spool-io.ts';

/**
 * The durable local spool in front of the writer (`ingest.spool`): a reading is acknowledged once its lines are
 * fsynced to an append-only log, then replayed to InfluxDB in order. Disk layout under `dir`:
 *   <16-digit global offset>.log  segments (records: src/store/spool-records.ts), the name is the offset of its first byte
 *   cursor.json                   the global offset replayed so far (saved now and then: replay is idempotent,
 *                                 a stale cursor only re-sends lines that overwrite themselves)
 * Group commit: appends that arrive while an fdatasync runs share the next one. Bounded: when the unreplayed
 * bytes reach `maxBytes`, write() waits (acknowledgements stop, the broker keeps the messages), nothing is dropped.
 * The disk is not trusted (issue 22): a batch is acknowledged only when every byte was written and fsynced; a short
 * write, ENOSPC, EROFS, EACCES or EIO rolls the segment back to its last acknowledged byte and the batch waits,
 * unacknowledged, and is retried with backoff until the disk takes it (a full disk: the next segment starts so the
 * replayed one can be deleted). A closed segment is never touched again but to delete it once replayed. The replay
 * reads only acknowledged bytes, retries a read that fails, and steps over a damaged record to the next whole one.
 * After a crash, a torn record at the end of the last segment is cut at the last whole record.
 */
export interface SpoolState {
  /** Bytes appended and not yet replayed to InfluxDB. */
  readonly bytes: number;
  readonly maxBytes: number;
  /** Age of the oldest unreplayed record (undefined when the spool is empty). */
  readonly oldestAgeMs?: number;
  /** Appends are waiting for room: acknowledgements have stopped. */
  readonly full: boolean;
  /** Appends waiting for room or for a failing disk. */
  readonly waitingWrites: number;
  readonly segments: number;
  /** Present while the disk refuses the spool: what (append, replay, directory), why and since when. */
  readonly failing?: SpoolFailing;
  /** Failures so far, by stage and cause (kzm_spool_errors_total). */
  readonly errors: readonly { readonly stage: SpoolStage; readonly cause: string; readonly count: number }[];
}

export interface Spool {
  /** Resolves once the lines are fsynced to the spool; waits while the spool is full or its disk refuses writes. */
  write(lines: readonly string[]): Promise<void>;
  /** Resolves once everything acknowledged by write() before this call is replayed to the sink (stored). */
  replayed(): Promise<void>;
  state(): SpoolState;
  /** Refuse appends from now on and fail those waiting (not acknowledged): a shutdown must not wait for the disk. */
  refuse(): void;
  start(): Promise<void>;
  /** Stop appending, replay what it can within `timeoutMs`; the rest stays on disk for the next start. */
  stop(timeoutMs?: number): Promise<boolean>;
}

export interface SpoolOptions {
  readonly dir: string;
  readonly maxBytes: number;
  readonly segmentBytes: number;
  /** Where replayed lines go: the batch writer (resolves once stored, retries for as long as it takes). */
  readonly sink: { write(lines: readonly string[]): Promise<void> };
  readonly log: Logger;
  /** Lines handed to the sink at once while replaying a backlog. */
  readonly replayChunkBytes?: number;
  readonly now?: () => number;
  /** Opens segment files (tests put a file system that fails on demand here). Default fs/promises open. */
  readonly openFile?: (path: string, flags: string) => Promise<FileHandle>;
}

interface Append {
  readonly rec: Buffer;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** While the directory refuses a new segment, appends go on in the current one and a rotation is retried this often. */
const ROTATE_RETRY_MS = 1000;

export function createSpool(opts: SpoolOptions): Spool {
  const { dir, maxBytes, log } = opts;
  const now = opts.now ?? Date.now;
  const failures = createSpoolFailures(log, now);
  const commitPause = createPause();
  const segs = createSegments({
    dir,
    segmentBytes: opts.segmentBytes,
    openFile: opts.openFile ?? open,
    log,
    failures,
    now,
    onFreed: () => commitPause.wake(), // a full disk may take the waiting append now
  });
  const blocked: Append[] = [];
  const queue: Append[] = [];
  let queuedBytes = 0;
  let committing: Promise<void> | undefined;
  let stopping = false;
  let refusing = false;
  /** The disk was full: start the next segment at the next append, so the replayed one can be deleted. */
  let sealActive = false;
  let rotateRetryAtMs = 0;
  const replayWaiters: { pos: number; resolve: () => void }[] = [];
  const replay = createReplay({
    segs,
    sink: opts.sink,
    log,
    failures,
    chunkBytes: opts.replayChunkBytes ?? 4 * 1024 * 1024,
    stopping: () => stopping,
    onProgress() {
      for (const w of replayWaiters.filter((w) => w.pos <= segs.replayPos)) {
        replayWaiters.splice(replayWaiters.indexOf(w), 1);
        w.resolve();
      }
      admit();
    },
  });
  let replayLoop: Promise<void> | undefined;

  /** Move waiting appends into the commit queue while they fit; one record always fits into an empty spool. */
  function admit(): void {
    while (blocked.length) {
      const next = blocked[0]!;
      const used = segs.unreplayed() + queuedBytes;
      if (used > 0 && used + next.rec.length > maxBytes) break;
      blocked.shift();
      queue.push(next);
      queuedBytes += next.rec.length;
    }
    kick();
  }

  function kick(): void {
    if (!queue.length || committing) return;
    committing = commit().finally(() => {
      committing = undefined;
      kick(); // an append queued between commit()'s last check and here
    });
  }

  function failQueued(why: string): void {
    const all = queue.splice(0);
    queuedBytes = 0;
    for (const a of all) a.reject(new SpoolError(`${why}; not acknowledged`));
  }

  /** Group commit: everything queued goes in one write and one fdatasync; on failure it all waits and is retried. */
  async function commit(): Promise<void> {
    for (let attempt = 0; queue.length;) {
      if (stopping || refusing) return failQueued('spool stopped');
      const batch = queue.slice();
      const bytes = batch.reduce((n, a) => n + a.rec.length, 0);
      try {
        const seg = await segmentForAppend();
        await writeFully(
          segs.active!,
          batch.map((a) => a.rec),
          seg.size,
        );
        await segs.active!.datasync();
        seg.size += bytes;
        segs.appendEnd += bytes;
      } catch (err) {
        // Cut what part of the batch reached the file (best effort: if even this fails, the tail lies past every
        // acknowledged byte, is never read, is overwritten by the next append, and a restart cuts what is left).
        await segs.active?.truncate(segs.last().size).catch(() => {});
        if (fsCause(err) === 'no space') sealActive = true;
        failures.failed('append', err, { waitingBytes: queuedBytes, retryInMs: retryDelayMs(attempt) });
        await commitPause.wait(retryDelayMs(attempt++));
        continue;
      }
      attempt = 0;
      failures.recovered('append');
      queue.splice(0, batch.length);
      queuedBytes -= bytes;
      for (const a of batch) a.resolve();
      replay.wake();
      admit();
    }
  }

  /** The segment to append to: a new one when this one is full (or the disk was), else the current one. */
  async function segmentForAppend(): Promise<Segment> {
    const seg = segs.last();
    const due = seg.size >= opts.segmentBytes || (sealActive && seg.size > 0);
    if (!due || now() < rotateRetryAtMs) return seg;
    try {
      const next = await segs.rotate();
      failures.recovered('directory');
      sealActive = false;
      await segs.dropReplayed();
      return next;
    } catch (err) {
      // Never touch the segment already closed; keep appending to the open one and try again in a while.
      rotateRetryAtMs = now() + ROTATE_RETRY_MS;
      failures.failed('directory', err, { segment: segmentName(segs.appendEnd) });
      return seg;
    }
  }

  return {
    write(lines) {
      if (!lines.length) return Promise.resolve();
      if (stopping || refusing) return Promise.reject(new SpoolError('spool is stopping; not acknowledged'));
      const rec = encodeRecord(lines, now());
      return new Promise<void>((resolve, reject) => {
        blocked.push({ rec, resolve, reject });
        admit();
      });
    },
    replayed() {
      if (segs.replayPos >= segs.appendEnd) return Promise.resolve();
      return new Promise<void>((resolve) => replayWaiters.push({ pos: segs.appendEnd, resolve }));
    },
    refuse() {
      refusing = true;
      for (const a of blocked.splice(0)) a.reject(new SpoolError('spool stopped; not acknowledged'));
      commitPause.wake(); // a batch waiting for the disk is failed by the commit loop
    },
    state: () => {
      const oldestAtMs = replay.oldestAtMs();
      return {
        bytes: segs.unreplayed(),
        maxBytes,
        ...(oldestAtMs !== undefined && segs.unreplayed() > 0 && { oldestAgeMs: Math.max(0, now() - oldestAtMs) }),
        full: blocked.length > 0,
        waitingWrites: blocked.length + queue.length,
        segments: segs.list.length,
        ...failures.state(),
      };
    },
    async start() {
      await mkdir(dir, { recursive: true });
      await segs.open();
      if (segs.unreplayed() > 0)
        log.info({ bytes: segs.unreplayed(), segments: segs.list.length }, 'Replaying the spool left by the last run.');
      replayLoop = replay.run();
    },
    async stop(timeoutMs = 15_000) {
      if (stopping) return segs.unreplayed() === 0;
      stopping = true;
      for (const a of blocked.splice(0)) a.reject(new SpoolError('spool stopped; not acknowledged'));
      commitPause.wake();
      await committing;
      let t: NodeJS.Timeout | undefined;
      const drained = await Promise.race([
        this.replayed().then(() => true),
        new Promise<boolean>((r) => (t = setTimeout(() => r(false), timeoutMs))),
      ]);
      clearTimeout(t);
      replay.wake();
      if (drained) await replayLoop;
      await segs.saveCursor(true).catch(() => {});
      await segs.close();
      if (!drained)
        log.warn(
          { bytes: segs.unreplayed() },
          'Stopped with spooled lines not yet in InfluxDB; they replay at the next start.',
        );
      return drained;
    },
  };
}

export { registerSpoolMetrics } from './spool-metrics.ts';
