import type { Socket } from 'node:net';

/** The largest MQTT packet that can carry a payload of `maxPayloadBytes`: the payload, a topic of up to 65,535 bytes, its length and a packet id. */
export function maxPacketBytesFor(maxPayloadBytes: number): number {
  return maxPayloadBytes + 2 + 65_535 + 2;
}

export type FrameCheck = { ok: true } | { ok: false; cmdType: number; remainingLength: number };

/**
 * Follows MQTT framing on a byte stream (fixed header byte, Remaining Length as 1-4 varint bytes, then that many
 * bytes) and reports the first packet whose Remaining Length is above `maxRemainingBytes`. It keeps no bytes,
 * only the position, so it costs the same whatever the packets hold.
 */
export function createFrameTracker(maxRemainingBytes: number) {
  let skip = 0; // body bytes of the current packet still to pass
  let inHeader = false;
  let cmdType = 0;
  let length = 0;
  let multiplier = 1;
  let lengthBytes = 0;
  return {
    feed(chunk: Uint8Array): FrameCheck {
      let i = 0;
      while (i < chunk.length) {
        if (skip > 0) {
          const n = Math.min(skip, chunk.length - i);
          skip -= n;
          i += n;
          continue;
        }
        const byte = chunk[i++]!;
        if (!inHeader) {
          inHeader = true;
          cmdType = byte >> 4;
          length = 0;
          multiplier = 1;
          lengthBytes = 0;
          continue;
        }
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        lengthBytes++;
        if (byte & 0x80 && lengthBytes < 4) continue;
        inHeader = false;
        if (length > maxRemainingBytes) return { ok: false, cmdType, remainingLength: length };
        skip = length;
      }
      return { ok: true };
    },
  };
}

/**
 * MQTT 3.1.1 has no maximum-packet-size property, so the embedded broker enforces its bound on the connection
 * itself: every chunk aedes reads from the socket passes here first ('data' is emitted by the read() aedes
 * makes), and a packet announcing more than `maxPacketBytes` closes the connection before its body is read.
 * At most one socket buffer of it was ever in memory.
 */
export function guardPacketSize(
  conn: Socket,
  maxPacketBytes: number,
  onRefused: (info: { remainingLength: number; cmdType: number; remoteAddress?: string }) => void,
): void {
  const tracker = createFrameTracker(maxPacketBytes);
  const onData = (chunk: Buffer) => {
    const r = tracker.feed(chunk);
    if (r.ok) return;
    conn.off('data', onData);
    onRefused({ remainingLength: r.remainingLength, cmdType: r.cmdType, remoteAddress: conn.remoteAddress });
    conn.destroy();
  };
  conn.on('data', onData);
}
