/**
 * Backfill speed: N synthetic meters (default 1,000) over one simulated hour at
 * 1-minute readings, published with QoS 1 to a local aedes broker started
 * here (or --broker url), once per connection mode. A plain subscriber counts
 * deliveries so the figure is end-to-end through the broker.
 *
 *   npx tsx simulator/bench/backfill-bench.ts [--meters 1000] [--hours 1] [--broker mqtt://...]
 */
import net from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { runSimulation } from '../runner.ts';

const { values } = parseArgs({
  options: {
    meters: { type: 'string', default: '1000' },
    hours: { type: 'string', default: '1' },
    broker: { type: 'string' },
  },
});
const meters = Number(values.meters);
const hours = Number(values.hours);

let url = values.broker;
let stop = async () => {};
if (!url) {
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  stop = async () => {
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  };
}

const results: Record<string, unknown>[] = [];
for (const mode of [
  { name: 'pool-50', connections: 50 },
  { name: 'pool-8', connections: 8 },
  { name: 'per-meter', connections: 0 },
]) {
  const sub = await mqtt.connectAsync(url, { clientId: `bench-counter-${mode.name}` });
  let received = 0;
  sub.on('message', (topic) => {
    if (topic.endsWith('/reading')) received++;
  });
  await sub.subscribeAsync('meters/+/reading', { qos: 1 });
  const t0 = Date.now();
  const s = await runSimulation({
    brokerUrl: url,
    clock: 'backfill',
    meters,
    durationH: hours,
    groundTruth: false,
    outDir: mkdtempSync(join(tmpdir(), 'sim-bench-')),
    connections: mode.connections,
  });
  const readings = s.byKind.reading ?? 0;
  while (received < readings && Date.now() - t0 < 600_000) await new Promise((r) => setTimeout(r, 10));
  const wallMs = Date.now() - t0;
  await sub.endAsync();
  results.push({
    mode: mode.name,
    meters,
    connections: s.connections,
    messages: s.messagesSent,
    publishMsgsPerS: s.ratePerS,
    deliveredReadings: received,
    endToEndMsgsPerS: Math.round((received * 1000) / wallMs),
    wallMs,
  });
  console.log(JSON.stringify(results[results.length - 1]));
}
await stop();
console.log(`rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`);
