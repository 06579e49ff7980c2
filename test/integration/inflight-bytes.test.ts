/**
 * Issue 14, memory: the external subscriber's window of unacknowledged messages is bounded in payload bytes
 * as well as in messages. Reproduction (bench backfill): 10,000 held messages of 60-reading batches kept
 * 600,000 readings in memory, 578 MB RSS. Real aedes broker, real mqtt.js clients.
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
beforeAll(async () => {
  broker = await Aedes.createBroker();
  server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => broker.close(() => r()));
  server.close();
});

describe('external subscriber: unacknowledged window in bytes', () => {
  it('hands over no more payload bytes than maxInflightBytes (plus one message) until writes complete, then all', async () => {
    const handled: number[] = [];
    const releases: (() => void)[] = [];
    const accept = (_topic: string, payload: Uint8Array) => {
      handled.push(payload.length);
      return new Promise<void>((r) => releases.push(() => r()));
    };
    const ingest: IngestPipeline = {
      accept,
      handle: (topic, payload) => accept(topic, payload).then(() => ({ statuses: 0, rejected: false })),
      stop() {},
    };
    const sub = createExternalSubscriber({
      url,
      clientId: 'inflight-bytes-test',
      maxInflight: 10_000,
      maxInflightBytes: 1024 * 1024,
      ingest,
      log: pino({ level: 'silent' }),
    });
    await sub.start();
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
