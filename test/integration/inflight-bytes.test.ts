/**
 * Issue 14, memory: the external subscriber's window of unacknowledged messages is bounded in payload bytes
 * as well as in messages. Reproduction (bench backfill): 10,000 held messages of 60-reading batches kept
 * 600,000 readings in memory, 578 MB RSS. Real aedes broker, real mqtt.js clients.
 * Issue 27: PUBACKs released by a write go out as one buffer (4 bytes each), not one mqtt.js packet each. What
 * must not change: a PUBACK leaves only once its message is stored, in arrival order (MQTT 3.1.1 §4.6), and the
 * broker reads each as the acknowledgement of its message (the broker's 'ack' event names the message).
 */
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExternalSubscriber } from '../../src/broker/external-subscriber.ts';
import type { IngestPipeline } from '../../src/ingest/pipeline.ts';
import { eventually } from '../helpers/eventually.ts';
import { holdFor } from '../helpers/hold-for.ts';

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

/** The external subscriber on this file's broker, handing each message to `accept` (a stand-in for ingest). */
async function subscriber(
  clientId: string,
  accept: (topic: string, payload: Uint8Array) => Promise<void>,
  maxInflightBytes: number,
) {
  const ingest: IngestPipeline = {
    accept,
    handle: (topic, payload) => accept(topic, payload).then(() => ({ statuses: 0, rejected: false })),
    stop() {},
  };
  const sub = createExternalSubscriber({
    url,
    clientId,
    maxInflight: 10_000,
    maxInflightBytes,
    ingest,
    log: pino({ level: 'silent' }),
  });
  await sub.start();
  return sub;
}

describe('external subscriber: unacknowledged window in bytes', () => {
  it('hands over no more payload bytes than maxInflightBytes (plus one message) until writes complete, then all', async () => {
    const handled: number[] = [];
    const releases: (() => void)[] = [];
    const accept = (_topic: string, payload: Uint8Array) => {
      handled.push(payload.length);
      return new Promise<void>((r) => releases.push(() => r()));
    };
    const sub = await subscriber('inflight-bytes-test', accept, 1024 * 1024);
    const pub = await mqtt.connectAsync(url, { clientId: 'inflight-bytes-pub' });
    const body = Buffer.alloc(100 * 1024, 'x');
    const acked = Promise.all(
      Array.from({ length: 40 }, () => pub.publishAsync('meters/m1/reading', body, { qos: 1 })),
    );
    // 1 MiB of 100 KiB messages: 11 are held (the 11th crosses the bound), none beyond.
    await eventually(
      () => handled.length,
      (n) => n >= 10,
      15_000,
      'the window of held messages filled',
    );
    await holdFor(500, 'the watch window: while nothing is written, no message beyond the bound may reach ingest');
    expect(handled.length).toBeGreaterThanOrEqual(10);
    expect(handled.length).toBeLessThanOrEqual(11);
    // Writes complete: the rest flows, every message reaches ingest in the end.
    const drain = setInterval(() => releases.splice(0).forEach((r) => r()), 20);
    await acked;
    await eventually(
      () => handled.length,
      (n) => n >= 40,
      15_000,
      'every message handed to ingest',
    );
    clearInterval(drain);
    expect(handled).toHaveLength(40);
    await pub.endAsync();
    await sub.stop();
  }, 30_000);
});

describe('external subscriber: PUBACKs after the write, in arrival order, several in one buffer', () => {
  it('acknowledges 0..299 in order although their writes complete out of order and in groups', async () => {
    const n = 300;
    acked.length = 0; // the test above stopped its subscriber: no acknowledgement of it comes after this
    const stored = new Map<string, () => void>();
    const accept = (_topic: string, payload: Uint8Array) =>
      new Promise<void>((r) => stored.set(Buffer.from(payload).toString(), r));
    const sub = await subscriber('ordered-acks-test', accept, 64 * 1024 * 1024);
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
