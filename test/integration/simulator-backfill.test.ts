import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { runSimulation } from '../../simulator/runner.ts';
import { planFor } from '../../simulator/runner.ts';
import { dryRun } from '../../simulator/dry-run.ts';
import { loadTariffs } from '../../src/fees/tariff-load.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import { eventually } from '../helpers/eventually.ts';
import { ROUND_TRIP, roundTrip } from '../helpers/mqtt.ts';

const SHORT = 'simulator/scenarios/short-e2e.yaml';
/** Every meter of the example registry (devices/). */
const METERS = loadRegistry('devices').meters.length;
/** The registry's shortest reporting interval: a first reading "at once" goes out before it. */
const MIN_INTERVAL_MS = Math.min(...loadRegistry('devices').meters.map((m) => m.reportingIntervalS * 1000));
let broker: Aedes;
let server: net.Server;
let url: string;

beforeAll(async () => {
  broker = await Aedes.createBroker();
  server = net.createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => broker.close(() => r()));
  await new Promise<void>((r) => server.close(() => r()));
});

interface Seen {
  topic: string;
  payload: string;
  retain: boolean;
}
async function subscriber(): Promise<{ client: MqttClient; seen: Seen[] }> {
  const seen: Seen[] = [];
  const client = await mqtt.connectAsync(url, {
    clientId: `counter-${Math.random().toString(36).slice(2)}`,
    protocolVersion: 4,
  });
  client.on('message', (topic, payload, packet) => {
    // Retained statuses of earlier runs arrive because of the subscription, flagged retain (MQTT 3.1.1 3.3.1.3):
    // not part of this run. What this run publishes reaches the subscription live, flag cleared.
    if (!packet.retain && !topic.startsWith(ROUND_TRIP))
      seen.push({ topic, payload: payload.toString('latin1'), retain: packet.retain });
  });
  await client.subscribeAsync(['meters/#', 'gateways/#'], { qos: 1 });
  return { client, seen };
}
/** Wait until at least `n` messages of this run have arrived. */
const received = (sub: { seen: Seen[] }, n: number, ms = 10_000, which = (_s: Seen) => true) =>
  eventually(
    () => sub.seen.filter(which).length,
    (k) => k >= n,
    ms,
    `${n} messages at the subscriber`,
  );
const out = () => mkdtempSync(join(tmpdir(), 'sim-'));

describe('backfill through a real aedes broker', () => {
  it('delivers every message of the short scenario, the last will included, and writes the ground truth', async () => {
    const sub = await subscriber();
    const outDir = out();
    const summary = await runSimulation({ scenario: SHORT, brokerUrl: url, clock: 'backfill', outDir });
    // Every publish, plus the will the broker publishes for the dropped link; and nothing more: anything the
    // broker had for the subscriber arrives before a round trip of its own made after.
    await received(sub, summary.messagesSent + 1);
    await roundTrip(sub.client);
    await sub.client.endAsync();
    expect(summary.aborted).toBe(false);
    expect(summary.publishFailures).toBe(0);
    expect(summary.messagesSent).toBeGreaterThan(1700);
    expect(sub.seen).toHaveLength(summary.messagesSent + 1);
    const status = sub.seen.filter((s) => s.topic === 'meters/ast-3-m02/status').map((s) => s.payload);
    expect(status).toEqual(['online', 'offline', 'online']);
    expect(sub.seen.filter((s) => s.payload.startsWith('[{'))).toHaveLength(1); // the store-and-forward flush

    // The ground truth of the run is what a broker-less run of the same plan says.
    const truth = JSON.parse(readFileSync(summary.groundTruthPath!, 'utf8')) as { meters: unknown[] };
    const tariffs = await loadTariffs('tariffs');
    const dry = dryRun(planFor({ scenario: SHORT }, Date.now()), { ...(tariffs.ok && { tariffs: tariffs.value }) });
    expect(truth.meters).toEqual(JSON.parse(JSON.stringify(dry.truth.meters)));
  });

  it('pool mode: few connections, every message delivered, the gateway announces the dropped meter', async () => {
    const sub = await subscriber();
    const summary = await runSimulation({
      scenario: SHORT,
      brokerUrl: url,
      clock: 'backfill',
      outDir: out(),
      connections: 2,
      maxInflight: 50,
    });
    await received(sub, summary.messagesSent + 1);
    await sub.client.endAsync();
    expect(summary.connections).toBe(2);
    // drop -> 'offline' published by the gateway on the meter's status topic (one extra publish)
    expect(sub.seen).toHaveLength(summary.messagesSent + 1);
    expect(sub.seen.filter((s) => s.topic === 'meters/ast-3-m02/status').map((s) => s.payload)).toEqual([
      'online',
      'offline',
      'online',
    ]);
  });

  it('live default (serve --simulate): the first reading of every registry meter goes out at once', async () => {
    const sub = await subscriber();
    const abort = new AbortController();
    const started = Date.now();
    const run = runSimulation({
      brokerUrl: url,
      clock: 'real',
      outDir: out(),
      signal: abort.signal,
      registryDir: 'devices',
    });
    // The bound of the wait is the shortest reporting interval: at once means before a meter's first interval.
    await received(sub, METERS, MIN_INTERVAL_MS, (s) => s.topic.endsWith('/reading'));
    abort.abort();
    const summary = await run;
    await received(sub, METERS, 3000, (s) => s.payload === 'offline');
    await sub.client.endAsync();
    expect(sub.seen.filter((s) => s.topic.endsWith('/reading'))).toHaveLength(METERS);
    expect(summary).toMatchObject({ scenario: 'live-calm', aborted: true, meters: METERS });
    const readingTs = sub.seen
      .filter((s) => s.topic.endsWith('/reading'))
      .map((s) => Date.parse((JSON.parse(s.payload) as { ts: string }).ts));
    // Stamped at the start, not one interval later (no timed assertion on the machine's speed: see npm run bench).
    for (const ts of readingTs) expect(Math.abs(ts - started)).toBeLessThan(MIN_INTERVAL_MS);
    // Leaving a live run says so on every meter's status (retained).
    expect(sub.seen.filter((s) => s.payload === 'offline')).toHaveLength(METERS);
  });
});
