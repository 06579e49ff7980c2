import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createSpool, type Spool } from '../../../src/store/spool.ts';
import { encodeRecord } from '../../../src/store/spool-records.ts';
import { steady } from '../../helpers/eventually.ts';

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
