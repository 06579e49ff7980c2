import { open, type FileHandle } from 'node:fs/promises';
import { KzmError } from '../util/errors.ts';
import { nextWholeRecordIn } from './spool-records.ts';

/**
 * File work of the spool (src/store/spool.ts) that must not trust the file system: a write is whole or it failed,
 * a failure has a cause an operator can act on, and a damaged stretch of a segment is stepped over record by
 * record, never by skipping the segment's rest.
 */

/** Lines the spool did not take are not acknowledged: the broker redelivers them (retryable). */
export class SpoolError extends KzmError {
  /** The file system's error code (ENOSPC, EROFS, ...) or SHORT_WRITE, when there was one. */
  readonly fsCode: string | undefined;
  constructor(message: string, fsCode?: string) {
    super(message, { code: 'spool-failed', retryable: true, httpStatus: 503 });
    this.fsCode = fsCode;
  }
}

/** Why the spool cannot write or read, in the words /health and the log use. */
export function fsCause(err: unknown): string {
  const code = err instanceof SpoolError ? err.fsCode : (err as { code?: unknown })?.code;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return 'no space';
    case 'EROFS':
      return 'read-only';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EIO':
      return 'I/O error';
    case 'SHORT_WRITE':
      return 'short write';
    default:
      return typeof code === 'string' ? code : 'unexpected error';
  }
}

/**
 * Write every byte of `bufs` at `position`, or throw. libuv's writev returns what it wrote when the disk fills part
 * way (65,536 of 100,000 bytes on a full tmpfs, no error: issue 22): the rest is written again, which then fails
 * with the file system's own error (ENOSPC), or, if it writes nothing, as a short write.
 */
export async function writeFully(fh: FileHandle, bufs: readonly Buffer[], position: number): Promise<number> {
  const rest = bufs.slice();
  let at = position;
  while (rest.length) {
    const { bytesWritten } = await fh.writev(rest, at);
    if (bytesWritten <= 0) throw new SpoolError(`short write at ${at}: 0 bytes written`, 'SHORT_WRITE');
    at += bytesWritten;
    let skip = bytesWritten;
    while (rest.length && skip >= rest[0]!.length) skip -= rest.shift()!.length;
    if (skip > 0) rest[0] = rest[0]!.subarray(skip);
  }
  return at - position;
}

export async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  await d.sync().finally(() => d.close());
}

const SCAN_STEP = 1024 * 1024;
/** A record found after a damaged stretch is at most this long (an append is one message's lines: KiB, not MiB). */
const SCAN_MAX_RECORD = 4 * 1024 * 1024;

/**
 * The offset of the first whole record (length fits, CRC matches) in [from, end) of an open segment, or `end`. For
 * a damaged stretch inside a segment (a disk fault): the records after it are still replayed. A false match needs
 * a CRC-32 collision over the candidate's bytes. Reads the stretch in 1 MiB steps (5 MiB at a time).
 */
export async function nextWholeRecord(fh: FileHandle, from: number, end: number): Promise<number> {
  for (let start = from; start < end; start += SCAN_STEP) {
    const want = Math.min(SCAN_STEP + SCAN_MAX_RECORD, end - start);
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await fh.read(buf, 0, want, start);
    const p = nextWholeRecordIn(buf.subarray(0, bytesRead), 0, Math.min(SCAN_STEP, bytesRead));
    if (p >= 0) return start + p;
  }
  return end;
}

/** A wait that ends early on wake(): backoff before a retry, cut short by a stop or by freed space. */
export function createPause() {
  let wakers = new Set<() => void>();
  return {
    wait(ms: number): Promise<void> {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(t);
          wakers.delete(done);
          resolve();
        };
        const t = setTimeout(done, ms);
        wakers.add(done);
      });
    },
    wake(): void {
      const all = wakers;
      wakers = new Set();
      for (const w of all) w();
    },
  };
}

/**
 * Backoff between retries of a failing disk: 100 ms doubling to 1 s, so a disk that has room or is writable again
 * is used within a second (a retry costs a truncate and one write). Freed space wakes the retry at once.
 */
export const retryDelayMs = (attempt: number): number => Math.min(1000, 100 * 2 ** Math.min(attempt, 4));
