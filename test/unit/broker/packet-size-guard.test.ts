import { describe, expect, it } from 'vitest';
import { createFrameTracker, maxPacketBytesFor } from '../../../src/broker/packet-size-guard.ts';

/** MQTT 3.1.1 Remaining Length: 7 bits a byte, high bit = more follows (§2.2.3). */
function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

/** A QoS 1 PUBLISH (fixed header 0x32) to meters/m1/reading with a payload of `payloadBytes`. */
function publish(payloadBytes: number): Buffer {
  const topic = Buffer.from('meters/m1/reading');
  const body = Buffer.concat([
    Buffer.from([topic.length >> 8, topic.length & 0xff]),
    topic,
    Buffer.from([0, 1]),
    Buffer.alloc(payloadBytes, 0x30),
  ]);
  return Buffer.concat([Buffer.from([0x32]), varint(body.length), body]);
}
const pingreq = () => Buffer.from([0xc0, 0x00]);

/** Feed in pieces of `step` bytes (framing must survive any split). */
function feedSplit(tracker: ReturnType<typeof createFrameTracker>, buf: Buffer, step: number) {
  for (let i = 0; i < buf.length; i += step) {
    const r = tracker.feed(buf.subarray(i, i + step));
    if (!r.ok) return r;
  }
  return { ok: true as const };
}

describe('createFrameTracker', () => {
  const stream = Buffer.concat([
    pingreq(),
    publish(10),
    publish(200),
    publish(130_000), // 3-byte Remaining Length
    pingreq(),
  ]);
  it.each([1, 2, 3, 7, 4096, stream.length])('passes packets under the bound split every %i bytes', (step) => {
    expect(feedSplit(createFrameTracker(200_000), stream, step)).toEqual({ ok: true });
  });
  it.each([1, 5, 65_536])('refuses the first packet above the bound (split every %i bytes) from its header', (step) => {
    const big = Buffer.concat([publish(10), publish(300_000)]);
    // Only the fixed header of the big packet is needed: cut it after 5 bytes of it.
    const head = big.subarray(0, publish(10).length + 5);
    const r = feedSplit(createFrameTracker(200_000), head, step);
    expect(r).toMatchObject({ ok: false, cmdType: 3 });
    expect(r.ok === false && r.remainingLength).toBeGreaterThan(300_000);
  });
  it('bounds a packet by the largest one that could carry an acceptable payload', () => {
    const max = maxPacketBytesFor(1000);
    const t = createFrameTracker(max);
    expect(t.feed(publish(1000))).toEqual({ ok: true });
    expect(createFrameTracker(max).feed(publish(max + 1))).toMatchObject({ ok: false });
  });
});
