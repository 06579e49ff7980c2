import type { MqttClient } from 'mqtt';
import { Fifo } from '../util/fifo.ts';
import { createSettleGroups } from '../util/settle-groups.ts';

interface HeldAck {
  messageId: number;
  bytes: number;
  ready: boolean;
  packet: unknown;
  cb?: (err?: Error) => void;
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
  const pending = new Map<number, HeldAck>();
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

  function release(): void {
    for (let h = held.peek(); h?.ready && h.packet; h = held.peek()) {
      held.shift();
      heldBytes -= h.bytes;
      sendRaw(h.packet, h.cb);
    }
    while (waiting.length && room()) waiting.shift()!();
  }

  (
    client as unknown as { _sendPacket: (p: { cmd: string; messageId?: number }, cb?: (e?: Error) => void) => void }
  )._sendPacket = (packet, cb) => {
    const h = packet.cmd === 'puback' && packet.messageId !== undefined ? pending.get(packet.messageId) : undefined;
    if (!h) return sendRaw(packet, cb);
    pending.delete(packet.messageId!);
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
    while (waiting.length) waiting.shift()!();
  });

  return {
    /** Register a QoS 1 message whose PUBACK must wait for `stored`. Call before the handleMessage callback. */
    hold(messageId: number, promise: Promise<unknown>, bytes = 0): void {
      const h: HeldAck = { messageId, bytes, ready: false, packet: undefined };
      held.push(h);
      heldBytes += bytes;
      pending.set(messageId, h);
      // Messages stored by the same write share its promise: one reaction per write, not per message.
      stored.add(promise, h);
    },
    heldCount: () => held.length,
    heldBytes: () => heldBytes,
  };
}
