import { mkdir, open, readdir, readFile, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Gauge, type Registry as PromRegistry } from 'prom-client';
import { z } from 'zod';
import { encodeRecord, readRecord } from './spool-records.ts';
import { KzmError } from '../util/errors.ts';

/**
 * The durable local spool in front of the writer (`ingest.spool`): a reading is acknowledged once its lines are
 * fsynced to an append-only log, then replayed to InfluxDB in order. Disk layout under `dir`:
 *   <16-digit global offset>.log  segments (records: src/store/spool-records.ts), the name is the offset of its first byte
 *   cursor.json                   the global offset replayed so far (saved now and then: replay is idempotent,
 *                                 a stale cursor only re-sends lines that overwrite themselves)
 * Group commit: appends that arrive while an fdatasync runs share the next one. Bounded: when the unreplayed
 * bytes reach `maxBytes`, write() waits (acknowledgements stop, the broker keeps the messages), nothing is dropped.
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
  readonly waitingWrites: number;
  readonly segments: number;
}

export interface Spool {
  /** Resolves once the lines are fsynced to the spool; waits while the spool is full. */
  write(lines: readonly string[]): Promise<void>;
  /** Resolves once everything acknowledged by write() before this call is replayed to the sink (stored). */
  replayed(): Promise<void>;
  state(): SpoolState;
  /** Refuse appends from now on and fail those waiting for room (not acknowledged): a shutdown must not wait for room. */
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
}

/** Lines the spool did not take are not acknowledged: the broker redelivers them (retryable). */
export class SpoolError extends KzmError {
  constructor(message: string, code = 'spool-failed') {
    super(message, { code, retryable: true, httpStatus: 503 });
  }
}

interface Segment {
  readonly base: number;
  size: number;
}

interface Append {
  readonly rec: Buffer;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

const SEGMENT_RE = /^(\d{16})\.log$/;
const segmentName = (base: number) => `${String(base).padStart(16, '0')}.log`;
const cursorSchema = z.strictObject({ replayedTo: z.number().int().min(0) });
const CURSOR_EVERY_MS = 500;

export function createSpool(opts: SpoolOptions): Spool {
  const { dir, maxBytes, log } = opts;
  const now = opts.now ?? Date.now;
  const chunkBytes = opts.replayChunkBytes ?? 4 * 1024 * 1024;
  const segments: Segment[] = [];
  let active: FileHandle | undefined;
  let appendEnd = 0;
  let replayPos = 0;
  let oldestAtMs: number | undefined;
  const blocked: Append[] = [];
  const queue: Append[] = [];
  let queuedBytes = 0;
  let committing: Promise<void> | undefined;
  let broken: Error | undefined;
  let stopping = false;
  let refusing = false;
  const replayWaiters: { pos: number; resolve: () => void }[] = [];
  let wakeReplay: (() => void) | undefined;
  let replayLoop: Promise<void> | undefined;
  let cursorSavedAt = 0;

  const path = (base: number) => join(dir, segmentName(base));
  const unreplayed = () => appendEnd - replayPos;

  /** Move waiting appends into the commit queue while they fit; one record always fits into an empty spool. */
  function admit(): void {
    while (blocked.length) {
      const next = blocked[0]!;
      const used = unreplayed() + queuedBytes;
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

  async function commit(): Promise<void> {
    while (queue.length) {
      const batch = queue.splice(0);
      const bytes = batch.reduce((n, a) => n + a.rec.length, 0);
      try {
        if (broken) throw broken;
        let seg = segments[segments.length - 1]!;
        if (seg.size >= opts.segmentBytes) seg = await rotate();
        await active!.writev(
          batch.map((a) => a.rec),
          seg.size,
        );
        await active!.datasync();
        seg.size += bytes;
        appendEnd += bytes;
        queuedBytes -= bytes;
        for (const a of batch) a.resolve();
        wakeReplay?.();
      } catch (err) {
        queuedBytes -= bytes;
        await truncateTorn(err as Error);
        for (const a of batch) a.reject(new SpoolError(`spool append failed: ${(err as Error).message}`));
      }
      admit();
    }
  }

  /** A failed append may have left part of a record: cut it so later records are not lost behind it. */
  async function truncateTorn(err: Error): Promise<void> {
    const seg = segments[segments.length - 1]!;
    log.error({ err: err.message, dir }, 'Spool append failed; the messages stay unacknowledged.');
    try {
      await active!.truncate(seg.size);
    } catch (e) {
      broken = new SpoolError(`spool segment cannot be repaired: ${(e as Error).message}`);
      log.error({ err: broken.message, dir }, 'Spool is broken; every append is refused until a restart.');
    }
  }

  async function rotate(): Promise<Segment> {
    await active?.close();
    const seg = { base: appendEnd, size: 0 };
    active = await open(path(seg.base), 'wx');
    segments.push(seg);
    await syncDir();
    return seg;
  }

  async function syncDir(): Promise<void> {
    const d = await open(dir, 'r');
    await d.sync().finally(() => d.close());
  }

  async function saveCursor(force = false): Promise<void> {
    if (!force && now() - cursorSavedAt < CURSOR_EVERY_MS) return;
    cursorSavedAt = now();
    const file = join(dir, 'cursor.json');
    await writeFile(`${file}.tmp`, JSON.stringify({ replayedTo: replayPos }));
    await rename(`${file}.tmp`, file);
  }

  /** Read whole records from replayPos: at least one, up to about chunkBytes. */
  async function readChunk(seg: Segment): Promise<{ lines: string[]; bytes: number; atMs: number }> {
    const offset = replayPos - seg.base;
    let want = Math.min(chunkBytes, seg.size - offset);
    const fh = await open(path(seg.base), 'r');
    try {
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
          if (r.kind === 'corrupt') throw new SpoolError(`record at ${replayPos + at}: ${r.reason}`);
          if (at === 0) atMs = r.record.atMs;
          for (const l of r.record.lines) lines.push(l);
          at = r.record.end;
        }
        if (at > 0) return { lines, bytes: at, atMs };
        if (want > bytesRead) continue; // a record larger than one chunk: read it whole
        throw new SpoolError(`record at ${replayPos} runs past the end of its segment`);
      }
    } finally {
      await fh.close();
    }
  }

  async function replay(): Promise<void> {
    while (!stopping) {
      if (replayPos >= appendEnd) {
        oldestAtMs = undefined;
        await saveCursor(true).catch(() => {});
        // Re-check after the await: an append or stop() may have come meanwhile, with no one to wake yet.
        await new Promise<void>((r) => {
          if (stopping || replayPos < appendEnd) r();
          else wakeReplay = r;
        });
        wakeReplay = undefined;
        continue;
      }
      const seg = segments.find((s) => replayPos >= s.base && replayPos < s.base + s.size);
      if (!seg) {
        replayPos = segments.find((s) => s.base > replayPos)?.base ?? appendEnd;
        continue;
      }
      try {
        const chunk = await readChunk(seg);
        oldestAtMs = chunk.atMs;
        await opts.sink.write(chunk.lines);
        replayPos += chunk.bytes;
      } catch (err) {
        // Only a disk fault can get here (records were fsynced whole): say so loudly and skip the segment's rest.
        log.error({ err: (err as Error).message, segment: segmentName(seg.base) }, 'Spool record unreadable; skipped.');
        replayPos = seg.base + seg.size;
      }
      await dropReplayedSegments();
      for (const w of replayWaiters.filter((w) => w.pos <= replayPos)) {
        replayWaiters.splice(replayWaiters.indexOf(w), 1);
        w.resolve();
      }
      await saveCursor().catch(() => {});
      admit();
    }
  }

  async function dropReplayedSegments(): Promise<void> {
    while (segments.length > 1 && replayPos >= segments[0]!.base + segments[0]!.size) {
      const s = segments.shift()!;
      await unlink(path(s.base)).catch(() => {});
    }
  }

  /** The last segment may end in a torn record after a crash: keep the whole records, cut the rest. */
  async function recoverTail(seg: Segment): Promise<void> {
    const data = await readFile(path(seg.base));
    let at = 0;
    for (;;) {
      const r = readRecord(data, at, false);
      if (r.kind !== 'record') break;
      at = r.record.end;
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
      if (replayPos >= appendEnd) return Promise.resolve();
      return new Promise<void>((resolve) => replayWaiters.push({ pos: appendEnd, resolve }));
    },
    refuse() {
      refusing = true;
      for (const a of blocked.splice(0)) a.reject(new SpoolError('spool stopped; not acknowledged'));
    },
    state: () => ({
      bytes: unreplayed(),
      maxBytes,
      ...(oldestAtMs !== undefined && unreplayed() > 0 && { oldestAgeMs: Math.max(0, now() - oldestAtMs) }),
      full: blocked.length > 0,
      waitingWrites: blocked.length,
      segments: segments.length,
    }),
    async start() {
      await mkdir(dir, { recursive: true });
      const names = (await readdir(dir)).filter((n) => SEGMENT_RE.test(n)).sort();
      for (const n of names) {
        const fh = await open(join(dir, n), 'r');
        const { size } = await fh.stat().finally(() => fh.close());
        segments.push({ base: Number(SEGMENT_RE.exec(n)![1]), size });
      }
      if (segments.length) await recoverTail(segments[segments.length - 1]!);
      const last = segments[segments.length - 1];
      appendEnd = last ? last.base + last.size : ((await readCursor()) ?? 0);
      replayPos = Math.min(appendEnd, Math.max((await readCursor()) ?? 0, segments[0]?.base ?? 0));
      await dropReplayedSegments();
      if (last && last.size < opts.segmentBytes && segments.includes(last)) active = await open(path(last.base), 'r+');
      else await rotate();
      if (unreplayed() > 0)
        log.info({ bytes: unreplayed(), segments: segments.length }, 'Replaying the spool left by the last run.');
      replayLoop = replay();
    },
    async stop(timeoutMs = 15_000) {
      if (stopping) return unreplayed() === 0;
      stopping = true;
      for (const a of blocked.splice(0)) a.reject(new SpoolError('spool stopped; not acknowledged'));
      await committing;
      let t: NodeJS.Timeout | undefined;
      const drained = await Promise.race([
        this.replayed().then(() => true),
        new Promise<boolean>((r) => (t = setTimeout(() => r(false), timeoutMs))),
      ]);
      clearTimeout(t);
      wakeReplay?.();
      if (drained) await replayLoop;
      await saveCursor(true).catch(() => {});
      await active?.close();
      active = undefined;
      if (!drained)
        log.warn(
          { bytes: unreplayed() },
          'Stopped with spooled lines not yet in InfluxDB; they replay at the next start.',
        );
      return drained;
    },
  };
}

/** /metrics: the spool's size, age and whether it is full (acknowledgements stopped). */
export function registerSpoolMetrics(registry: PromRegistry, spool: Pick<Spool, 'state'>): void {
  const gauge = (name: string, help: string, value: (s: SpoolState) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value(spool.state()));
      },
    });
  gauge('kzm_spool_bytes', 'Bytes in the local spool not yet replayed to InfluxDB', (s) => s.bytes);
  gauge('kzm_spool_max_bytes', 'Configured bound of the local spool', (s) => s.maxBytes);
  gauge(
    'kzm_spool_oldest_age_seconds',
    'Age of the oldest unreplayed spool record',
    (s) => (s.oldestAgeMs ?? 0) / 1000,
  );
  gauge('kzm_spool_full', '1 while the spool is full and acknowledgements wait', (s) => (s.full ? 1 : 0));
}
