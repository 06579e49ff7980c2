/**
 * Issue 27: PUBACKs released by a write go out as one buffer (4 bytes each), not one mqtt.js packet each. What
 * must not change: a PUBACK leaves only once its message is stored, in arrival order (MQTT 3.1.1 §4.6), and the
 * broker reads each as the acknowledgement of its message. Real aedes broker, real mqtt.js clients; the broker's
 * 'ack' event names the message each PUBACK acknowledged.
 */
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExternalSubscriber } from '../../src/broker/external-subscriber.ts';
import type { IngestPipeline } from '../../src/ingest/pipeline.ts';
import { eventually } from '../helpers/eventually.ts';

let broker: Aedes;
let server: Server;
let url = '';
const acked: string[] = [];
beforeAll(async () => {
  broker = await Aedes.createBroker();
  broker.on('ack', (packet) => {
    if (packet && 'payload' in packet) acked.push(String(packet.payload));
  });
  server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => broker.close(() => r()));
  server.close();
});

describe('external subscriber: PUBACKs after the write, in arrival order, several in one buffer', () => {
  it('acknowledges 0..299 in order although their writes complete out of order and in groups', async () => {
    const n = 300;
    const stored = new Map<string, () => void>();
    const accept = (_topic: string, payload: Uint8Array) =>
      new Promise<void>((r) => stored.set(Buffer.from(payload).toString(), r));
    const ingest: IngestPipeline = {
      accept,
      handle: (topic, payload) => accept(topic, payload).then(() => ({ statuses: 0, rejected: false })),
      stop() {},
    };
    const sub = createExternalSubscriber({
      url,
      clientId: 'ordered-acks-test',
      maxInflight: 10_000,
      maxInflightBytes: 64 * 1024 * 1024,
      ingest,
      log: pino({ level: 'silent' }),
    });
    await sub.start();
    const pub = await mqtt.connectAsync(url, { clientId: 'ordered-acks-pub' });
    const published = Promise.all(
      Array.from({ length: n }, (_, i) => pub.publishAsync('meters/m1/reading', String(i), { qos: 1 })),
    );
    await eventually(
      () => stored.size,
      (k) => k === n,
      15_000,
      'every message handed to ingest',
    );
    const store = (from: number, to: number) => {
      for (let i = to - 1; i >= from; i--) stored.get(String(i))!(); // each group's last first
    };
    // Stored out of order: 100..199 before 0..99; nothing may be acknowledged while 0 waits.
    store(100, 200);
    store(1, 100);
    expect(acked).toEqual([]);
    store(0, 1); // now 0..199 are ready: released together
    await eventually(
      () => acked.length,
      (k) => k === 200,
      15_000,
      'PUBACKs of 0..199',
    );
    store(200, n);
    await published;
    await eventually(
      () => acked.length,
      (k) => k === n,
      15_000,
      'every PUBACK',
    );
    expect(acked).toEqual(Array.from({ length: n }, (_, i) => String(i)));
    await pub.endAsync();
    await sub.stop();
  }, 30_000);
});
