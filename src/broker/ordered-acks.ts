import type { MqttClient } from 'mqtt';
import { Fifo } from '../util/fifo.ts';

interface HeldAck {
  messageId: number;
  ready: boolean;
  packet: unknown;
  cb?: (err?: Error) => void;
}

/**
 * mqtt.js hands QoS 1 messages to `handleMessage` one at a time and sends the PUBACK when its callback is
 * called, so "ack after write" would allow one message per InfluxDB round trip. This lets the message
 * callback return at once while the PUBACK itself is held until the message is stored, and sends held
 * PUBACKs in arrival order (MQTT 3.1.1 §4.6). At most `maxHeld` acks wait; beyond that the callback is
 * delayed, which stops reading from the socket: back-pressure reaches the broker.
 */
export function installOrderedAcks(client: MqttClient, maxHeld: number) {
  const held = new Fifo<HeldAck>();
  const pending = new Map<number, HeldAck>();
  const waiting: (() => void)[] = [];
  const sendRaw = (
    client as unknown as { _sendPacket: (p: unknown, cb?: (e?: Error) => void) => void }
  )._sendPacket.bind(client);

  function release(): void {
    for (let h = held.peek(); h?.ready && h.packet; h = held.peek()) {
      held.shift();
      sendRaw(h.packet, h.cb);
    }
    while (waiting.length && held.length < maxHeld) waiting.shift()!();
  }

  (
    client as unknown as { _sendPacket: (p: { cmd: string; messageId?: number }, cb?: (e?: Error) => void) => void }
  )._sendPacket = (packet, cb) => {
    const h = packet.cmd === 'puback' && packet.messageId !== undefined ? pending.get(packet.messageId) : undefined;
    if (!h) return sendRaw(packet, cb);
    pending.delete(packet.messageId!);
    h.packet = packet;
    // Let mqtt.js go on to the next message now; the PUBACK goes out in release().
    if (held.length < maxHeld) cb?.();
    else waiting.push(() => cb?.());
    release();
  };

  client.on('close', () => {
    // PUBACKs belong to a connection: on a new one the broker redelivers what was not acknowledged.
    held.clear();
    pending.clear();
    while (waiting.length) waiting.shift()!();
  });

  return {
    /** Register a QoS 1 message whose PUBACK must wait for `stored`. Call before the handleMessage callback. */
    hold(messageId: number, stored: Promise<void>): void {
      const h: HeldAck = { messageId, ready: false, packet: undefined };
      held.push(h);
      pending.set(messageId, h);
      stored.then(
        () => {
          h.ready = true;
          if (h.packet) release();
          else queueMicrotask(() => release());
        },
        () => {
          /* never acknowledged: redelivered */
        },
      );
    },
    heldCount: () => held.length,
  };
}
