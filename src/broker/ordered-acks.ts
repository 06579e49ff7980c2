import type { MqttClient } from 'mqtt';
import { Fifo } from '../util/fifo.ts';
import { createSettleGroups } from '../util/settle-groups.ts';

interface HeldAck {
  messageId: number;
  bytes: number;
  ready: boolean;
  packet: unknown;
}

/**
 * mqtt.js hands QoS 1 messages to `handleMessage` one at a time and sends the PUBACK when its callback is
 * called, so "ack after write" would allow one message per InfluxDB round trip. This lets the message
 * callback return at once while the PUBACK itself is held until the message is stored, and sends held
 * PUBACKs in arrival order (MQTT 3.1.1 §4.6). At most `maxHeld` acks, and messages of at most `maxHeldBytes`
 * payload bytes, wait (a gateway's batches of 60 readings would otherwise hold 60x the memory of single
 * readings); beyond that the callback is delayed, which stops reading from the socket: back-pressure reaches
 * the broker. One message is always let in, however large.
 */
export function installOrderedAcks(client: MqttClient, maxHeld: number, maxHeldBytes = Infinity) {
  const held = new Fifo<HeldAck>();
  /**
   * The message held last, whose PUBACK mqtt.js has not handed over yet: mqtt.js does so synchronously when the
   * handleMessage callback is called, right after hold(), so one slot serves (issue 27: a Map set and delete per
   * message churned its table). Should a PUBACK ever come later, the held message waits in `pending`.
   */
  let expecting: HeldAck | undefined;
  const pending = new Map<number, HeldAck>();
  const holding = (messageId: number): HeldAck | undefined => {
    if (expecting?.messageId === messageId) {
      const h = expecting;
      expecting = undefined;
      return h;
    }
    const h = pending.get(messageId);
    if (h) pending.delete(messageId);
    return h;
  };
  const waiting: (() => void)[] = [];
  let heldBytes = 0;
  const stored = createSettleGroups<HeldAck>((acks) => {
    let waitForPacket = false;
    for (const a of acks) {
      a.ready = true;
      if (!a.packet) waitForPacket = true;
    }
    release();
    if (waitForPacket) queueMicrotask(() => release());
  });
  const room = () => held.length < maxHeld && heldBytes < maxHeldBytes;
  const sendRaw = (
    client as unknown as { _sendPacket: (p: unknown, cb?: (e?: Error) => void) => void }
  )._sendPacket.bind(client);

  /** The stream PUBACKs may be written to as bytes: connected over MQTT 3.1/3.1.1, where a PUBACK is 4 fixed bytes. */
  const rawStream = (): { write(b: Buffer): boolean } | undefined => {
    const c = client as unknown as { connected: boolean; stream?: { writable?: boolean; write(b: Buffer): boolean } };
    const v = client.options.protocolVersion ?? 4;
    return c.connected && c.stream?.writable && (v === 3 || v === 4) ? c.stream : undefined;
  };

  function release(): void {
    let n = 0;
    for (let h = held.peek(n); h?.ready && h.packet; h = held.peek(++n));
    if (n) {
      const stream = n > 1 ? rawStream() : undefined;
      if (stream) {
        // Issue 27: the PUBACKs a write released, as one buffer and one socket write, not one mqtt.js packet
        // (and its stream write) each. Same bytes and order as mqtt-packet writes: 0x40, 2, message id (MSB, LSB).
        const buf = Buffer.allocUnsafe(4 * n);
        for (let i = 0; i < n; i++) {
          const h = held.shift()!;
          heldBytes -= h.bytes;
          buf[4 * i] = 0x40;
          buf[4 * i + 1] = 2;
          buf.writeUInt16BE(h.messageId, 4 * i + 2);
        }
        stream.write(buf);
      } else
        for (let i = 0; i < n; i++) {
          const h = held.shift()!;
          heldBytes -= h.bytes;
          sendRaw(h.packet);
        }
    }
    while (waiting.length && room()) waiting.shift()!();
  }

  (
    client as unknown as { _sendPacket: (p: { cmd: string; messageId?: number }, cb?: (e?: Error) => void) => void }
  )._sendPacket = (packet, cb) => {
    const h = packet.cmd === 'puback' && packet.messageId !== undefined ? holding(packet.messageId) : undefined;
    if (!h) return sendRaw(packet, cb);
    h.packet = packet;
    // Let mqtt.js go on to the next message now; the PUBACK goes out in release().
    if (room()) cb?.();
    else waiting.push(() => cb?.());
    release();
  };

  client.on('close', () => {
    // PUBACKs belong to a connection: on a new one the broker redelivers what was not acknowledged.
    held.clear();
    heldBytes = 0;
    stored.reset();
    pending.clear();
    expecting = undefined;
    while (waiting.length) waiting.shift()!();
  });

  return {
    /** Register a QoS 1 message whose PUBACK must wait for `stored`. Call before the handleMessage callback. */
    hold(messageId: number, promise: Promise<unknown>, bytes = 0): void {
      const h: HeldAck = { messageId, bytes, ready: false, packet: undefined };
      held.push(h);
      heldBytes += bytes;
      if (expecting) pending.set(expecting.messageId, expecting);
      expecting = h;
      // Messages stored by the same write share its promise: one reaction per write, not per message.
      stored.add(promise, h);
    },
    heldCount: () => held.length,
    heldBytes: () => heldBytes,
  };
}
