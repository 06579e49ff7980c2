import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createSpool, type Spool } from '../../../src/store/spool.ts';
import { encodeRecord } from '../../../src/store/spool-records.ts';
import { eventually, steady } from '../../helpers/eventually.ts';

const log = pino({ level: 'silent' });
const dirs: string[] = [];
const spools: Spool[] = [];
afterEach(async () => {
  for (const s of spools.splice(0)) await s.stop(100);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A sink that records what it stores; `hold()` makes it hang (InfluxDB down) until `release()`. */
function recordingSink() {
  const stored: string[] = [];
  let gate: Promise<void> | undefined;
  let open = () => {};
  return {
    stored,
    hold() {
      gate = new Promise<void>((r) => (open = r));
    },
    release() {
      gate = undefined;
      open();
    },
    async write(lines: readonly string[]) {
      while (gate) await gate;
      stored.push(...lines);
    },
  };
}

function spoolIn(
  dir: string,
  sink: ReturnType<typeof recordingSink>,
  o: { maxBytes?: number; segmentBytes?: number } = {},
) {
  const s = createSpool({
    dir,
    maxBytes: o.maxBytes ?? 1024 * 1024,
    segmentBytes: o.segmentBytes ?? 256 * 1024,
    sink,
    log,
    replayChunkBytes: 8 * 1024,
  });
  spools.push(s);
  return s;
}

const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'kzm-spool-'));
  dirs.push(d);
  return d;
};
const lines = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => `reading,meter=m1 wh=${from + i}i ${from + i}`);
const segmentsOf = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.log'))
    .sort();

describe('spool', () => {
  it('acknowledges concurrent writes and replays every line in order', async () => {
    const sink = recordingSink();
    const s = spoolIn(tmp(), sink);
    await s.start();
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.write(lines(i * 5, 5))));
    await s.replayed();
    expect(sink.stored).toEqual(lines(0, 1000));
    expect(s.state()).toMatchObject({ bytes: 0, full: false });
  });

  it('keeps acknowledged lines across a stop with InfluxDB down and replays them at the next start', async () => {
    const dir = tmp();
    const down = recordingSink();
    down.hold();
    const first = spoolIn(dir, down);
    await first.start();
    for (let i = 0; i < 50; i++) await first.write(lines(i * 10, 10));
    expect(first.state().bytes).toBeGreaterThan(0);
    expect(await first.stop(200)).toBe(false);
    const up = recordingSink();
    const second = spoolIn(dir, up);
    await second.start();
    await second.replayed();
    // The first run's replay may have handed its first chunk to the dead sink; the rest arrive once, in order.
    expect(up.stored).toEqual(lines(0, 500));
  });

  it('cuts a torn record at the end of the log (crash mid-append) and keeps every whole one', async () => {
    const dir = tmp();
    const down = recordingSink();
    down.hold();
    const first = spoolIn(dir, down);
    await first.start();
    for (let i = 0; i < 20; i++) await first.write(lines(i * 3, 3));
    await first.stop(100);
    const seg = join(dir, segmentsOf(dir).at(-1)!);
    const whole = statSync(seg).size;
    const torn = encodeRecord(lines(1000, 50), Date.now());
    appendFileSync(seg, torn.subarray(0, torn.length - 7));
    const up = recordingSink();
    const second = spoolIn(dir, up);
    await second.start();
    expect(statSync(seg).size).toBe(whole);
    await second.write(lines(60, 3));
    await second.replayed();
    expect(up.stored).toEqual(lines(0, 63));
  });

  it('a corrupt byte in the last record is cut the same way (CRC)', async () => {
    const dir = tmp();
    const first = spoolIn(dir, recordingSink());
    await first.start();
    await first.write(lines(0, 2));
    await first.replayed();
    await first.stop(100);
    const seg = join(dir, segmentsOf(dir).at(-1)!);
    const bad = encodeRecord(lines(2, 2), Date.now());
    bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 0xff, bad.length - 1);
    appendFileSync(seg, bad);
    const up = recordingSink();
    const second = spoolIn(dir, up);
    await second.start();
    await second.write(lines(4, 1));
    await second.replayed();
    expect(up.stored).toEqual(lines(4, 1));
  });

  it('when full, acknowledgements wait (back-pressure) and nothing is dropped', async () => {
    const sink = recordingSink();
    sink.hold();
    const s = spoolIn(tmp(), sink, { maxBytes: 64 * 1024, segmentBytes: 64 * 1024 });
    await s.start();
    let acked = 0;
    const writes = Array.from({ length: 1000 }, (_, i) => s.write(lines(i * 4, 4)).then(() => acked++));
    // The spool took what fits and acknowledged it, then acknowledgements stopped (the sink holds every replay).
    await steady(
      () => acked,
      (n) => n > 0 && s.state().full,
      10_000,
      'acknowledgements to stop, the spool full',
    );
    expect(acked).toBeGreaterThan(0);
    expect(acked).toBeLessThan(1000);
    expect(s.state()).toMatchObject({ full: true });
    expect(s.state().bytes).toBeLessThanOrEqual(64 * 1024);
    sink.release();
    await Promise.all(writes);
    await s.replayed();
    expect(sink.stored).toEqual(lines(0, 4000));
    expect(s.state().full).toBe(false);
  });

  it('rotates segments and deletes the replayed ones', async () => {
    const dir = tmp();
    const sink = recordingSink();
    const s = spoolIn(dir, sink, { segmentBytes: 64 * 1024 });
    await s.start();
    for (let i = 0; i < 40; i++) await s.write(lines(i * 100, 100));
    await s.replayed();
    await s.write(lines(4000, 1)); // rotation happens at the next append; replay then drops the old segments
    await s.replayed();
    expect(sink.stored).toEqual(lines(0, 4001));
    expect(segmentsOf(dir).length).toBeLessThanOrEqual(2);
  });
});

/**
 * A file system that fails on demand, over the real one (the spool's files are real): what a full disk, a
 * read-only directory or a failing device do to a write, as the kernel and libuv report it. The drills in
 * test/integration/drill-spool-disk.test.ts do the same with a real tmpfs and a read-only bind mount (as root).
 */
function faultyFiles() {
  // readOnly: the file system remounted read-only (open files refused too); dirReadOnly: a read-only bind mount
  // over the directory (new files refused, files already open for writing still written).
  const mode = { full: false, readOnly: false, dirReadOnly: false, syncEio: 0 };
  const fsError = (code: string) => Object.assign(new Error(`${code}: scripted`), { code });
  let shortWrites = 0;
  const openFile = async (path: string, flags: string): Promise<FileHandle> => {
    if ((mode.readOnly || mode.dirReadOnly) && flags !== 'r') throw fsError('EROFS');
    const fh = await open(path, flags);
    return new Proxy(fh, {
      get(target, prop, receiver) {
        if (prop === 'writev')
          return async (bufs: Buffer[], pos: number) => {
            if (mode.readOnly) throw fsError('EROFS');
            if (!mode.full) return target.writev(bufs, pos);
            // As libuv on a disk that fills part way: some bytes written, no error; the next call fails.
            if (shortWrites++ % 2 === 0) {
              const all = Buffer.concat(bufs);
              const part = all.subarray(0, Math.max(1, Math.floor(all.length / 2)));
              await target.write(part, 0, part.length, pos);
              return { bytesWritten: part.length, buffers: bufs };
            }
            throw fsError('ENOSPC');
          };
        if (prop === 'datasync')
          return async () => {
            if (mode.syncEio > 0) {
              mode.syncEio--;
              throw fsError('EIO');
            }
            return target.datasync();
          };
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  };
  return { mode, openFile };
}

function faultySpool(
  dir: string,
  sink: ReturnType<typeof recordingSink>,
  files: ReturnType<typeof faultyFiles>,
  segmentBytes = 256 * 1024,
) {
  const s = createSpool({
    dir,
    maxBytes: 1024 * 1024,
    segmentBytes,
    sink,
    log,
    replayChunkBytes: 8 * 1024,
    openFile: files.openFile,
  });
  spools.push(s);
  return s;
}

const settled = async (p: Promise<unknown>, ms = 300) =>
  Promise.race([p.then(() => 'acked'), new Promise((r) => setTimeout(() => r('waiting'), ms))]);

describe('spool on a disk that refuses writes (issue 22)', () => {
  it('a short write (part of the batch, no error) then ENOSPC is not acknowledged; acknowledged once the disk takes it, nothing lost', async () => {
    const dir = tmp();
    const files = faultyFiles();
    const sink = recordingSink();
    sink.hold(); // InfluxDB down too: every acknowledged record must be on disk, whole, for the next start
    const s = faultySpool(dir, sink, files);
    await s.start();
    await s.write(lines(0, 10));
    files.mode.full = true;
    const w = s.write(lines(10, 10));
    expect(await settled(w)).toBe('waiting');
    expect(s.state().failing).toMatchObject({ stage: 'append', cause: 'no space' });
    files.mode.full = false;
    await w;
    await s.write(lines(20, 5));
    expect(s.state().failing).toBeUndefined();
    expect(s.state().errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ stage: 'append', cause: 'no space' })]),
    );
    await s.stop(100);
    // From disk: the next start replays every acknowledged line, no hole where the short write was.
    const up = recordingSink();
    const s2 = spoolIn(dir, up);
    await s2.start();
    await s2.replayed();
    expect(up.stored).toEqual(lines(0, 25));
  });

  it('a read-only bind mount over the directory: no new segment, the closed one untouched, appends go on, rotation resumes', async () => {
    const dir = tmp();
    const files = faultyFiles();
    const sink = recordingSink();
    sink.hold();
    const s = faultySpool(dir, sink, files, 4 * 1024);
    await s.start();
    for (let i = 0; i < 10; i++) await s.write(lines(i * 50, 50));
    const closed = segmentsOf(dir).slice(0, -1);
    const sizes = closed.map((n) => statSync(join(dir, n)).size);
    files.mode.dirReadOnly = true;
    // Past the segment size, rotation is refused: appends are still acknowledged, in the open segment.
    for (let i = 10; i < 20; i++) expect(await settled(s.write(lines(i * 50, 50)))).toBe('acked');
    expect(s.state().failing).toMatchObject({ stage: 'directory', cause: 'read-only' });
    expect(closed.map((n) => statSync(join(dir, n)).size)).toEqual(sizes);
    files.mode.dirReadOnly = false;
    // The rotation is retried at an append, at most once a second: append until it went through (a deadline).
    let next = 1000;
    await eventually(
      async () => {
        await s.write(lines(next, 50));
        next += 50;
        return s.state().failing;
      },
      (failing) => failing === undefined,
      5000,
      'the rotation retried at an append',
    );
    expect(s.state().failing).toBeUndefined();
    sink.release();
    await s.replayed();
    expect(sink.stored).toEqual(lines(0, next));
  });

  it('the file system read-only (the open segment refused too): appends wait unacknowledged and go on when it is writable', async () => {
    const dir = tmp();
    const files = faultyFiles();
    const sink = recordingSink();
    const s = faultySpool(dir, sink, files, 4 * 1024);
    await s.start();
    for (let i = 0; i < 10; i++) await s.write(lines(i * 50, 50));
    files.mode.readOnly = true;
    const p = s.write(lines(500, 50));
    expect(await settled(p)).toBe('waiting');
    expect(s.state().failing).toMatchObject({ stage: 'append', cause: 'read-only' });
    files.mode.readOnly = false;
    await p;
    for (let i = 11; i < 20; i++) await s.write(lines(i * 50, 50));
    await s.replayed();
    expect(sink.stored).toEqual(lines(0, 1000));
  });

  it('an fdatasync that fails (EIO) is not an acknowledgement: the batch is written and synced again', async () => {
    const files = faultyFiles();
    const sink = recordingSink();
    const s = faultySpool(tmp(), sink, files);
    await s.start();
    files.mode.syncEio = 2;
    await s.write(lines(0, 3));
    expect(s.state().errors).toEqual([expect.objectContaining({ stage: 'append', cause: 'I/O error', count: 2 })]);
    await s.replayed();
    expect(sink.stored).toEqual(lines(0, 3));
  });

  it('a stop while the disk refuses fails the waiting appends at once (unacknowledged), and keeps what was acknowledged', async () => {
    const dir = tmp();
    const files = faultyFiles();
    const sink = recordingSink();
    sink.hold();
    const s = faultySpool(dir, sink, files);
    await s.start();
    await s.write(lines(0, 5));
    files.mode.full = true;
    const waiting = s.write(lines(5, 5)).then(
      () => 'acked',
      () => 'refused',
    );
    expect(await settled(waiting)).toBe('waiting');
    s.refuse();
    expect(await waiting).toBe('refused');
    await s.stop(100);
    files.mode.full = false;
    const up = recordingSink();
    const s2 = spoolIn(dir, up);
    await s2.start();
    await s2.replayed();
    expect(up.stored).toEqual(lines(0, 5));
  });

  it('a damaged record inside acknowledged bytes (a disk fault) is stepped over: the records after it are replayed', async () => {
    const dir = tmp();
    const first = spoolIn(dir, recordingSink(), { segmentBytes: 1024 * 1024 });
    const down = recordingSink();
    down.hold();
    void first;
    const s = spoolIn(dir, down);
    await s.start();
    for (let i = 0; i < 30; i++) await s.write(lines(i * 2, 2));
    await s.stop(100);
    const seg = join(dir, segmentsOf(dir)[0]!);
    const bytes = readFileSync(seg);
    const recLen = encodeRecord(lines(0, 2), 0).length;
    bytes.writeUInt8(bytes.readUInt8(10 * recLen + 20) ^ 0xff, 10 * recLen + 20); // inside the 11th record's body
    writeFileSync(seg, bytes);
    rmSync(join(dir, 'cursor.json'), { force: true });
    const up = recordingSink();
    const s2 = spoolIn(dir, up);
    await s2.start();
    await s2.write(lines(60, 2));
    await s2.replayed();
    // Records 0..9 and 11..29 and the new one; only the damaged record is lost (it would be the disk's doing).
    expect(up.stored).toEqual([...lines(0, 20), ...lines(22, 40)]);
  });
});
