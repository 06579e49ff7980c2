import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadRegistry } from '../src/registry/load.ts';
import type { InfluxTarget } from '../src/store/influx-target.ts';
import { startInflux } from '../test/helpers/influx.ts';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { DEVICES_DIR, eventually, queryRows } from '../test/helpers/service.ts';
import { publishReadings, serveProcess } from './lib.ts';
import { childPids, cpuMeter } from './proc-cpu.ts';

/**
 * (a) raw limit: a plain mqtt.js subscriber process receiving QoS 1 readings from the broker (for the embedded
 *     case, an aedes broker without hooks in that same process);
 * (b) the service end to end: `kzmeter serve` as its own process, readings published until all are queryable
 *     in InfluxDB, and until all are in the day rollups.
 * Both against the embedded broker and against Debian's mosquitto, in one run on loopback; the publisher (4
 * mqtt.js connections, 500 unacknowledged each) is this process in every case. Each run also reports the CPU
 * each process spent per reading and how busy the whole machine was: where the cores went.
 */
const T0 = Date.UTC(2025, 6, 1);
const ROOT = join(import.meta.dirname, '..');

type Cpu = ReturnType<ReturnType<typeof cpuMeter>>;

async function rawRate(
  args: string[],
  n: number,
  meters: string[],
  pids: Record<string, number | undefined>,
): Promise<{ rate: number; cpu: Cpu }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/raw-subscriber.mts'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = JSON.parse(((await lines.next()).value as string | undefined) ?? '{}') as { url?: string };
  if (!first.url) throw new Error('raw subscriber did not start');
  const meter = cpuMeter({ ...pids, subscriber: child.pid });
  const pubS = await publishReadings(first.url, { meters, total: n, connections: 4, window: 500, t0Ms: T0 });
  const done = JSON.parse((await lines.next()).value as string) as { seconds: number };
  const cpu = meter(n);
  await new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
  return { rate: n / Math.max(done.seconds, pubS), cpu };
}

/** Readings per second until all are queryable, and until all are in the day rollups too. */
async function serviceRate(
  target: InfluxTarget,
  /** An external broker, or undefined: the service's embedded one. */
  broker: { url: string } | undefined,
  n: number,
  meters: string[],
  pids: Record<string, number | undefined>,
) {
  const { svc, mqttUrl: url, stop } = await serveProcess(target, DEVICES_DIR, broker?.url);
  try {
    const meter = cpuMeter({ ...pids, service: svc.pid });
    const started = performance.now();
    await publishReadings(url, { meters, total: n, connections: 4, window: 500, t0Ms: T0 });
    const count = async (q: string) => Number((await queryRows(target, q))[0]?.n ?? 0);
    await eventually(
      () => count('SELECT count(wh) AS n FROM reading'),
      (c) => c >= n,
      120_000,
    );
    const stored = n / ((performance.now() - started) / 1000);
    const cpu = meter(n);
    const rolled = await eventually(
      () => count('SELECT sum("count") AS n FROM "reading_1d"'),
      (c) => c >= n,
      120_000,
    );
    if (rolled !== n) throw new Error(`day rollups count ${rolled} readings, ${n} were published`);
    return {
      stored,
      rolledUp: n / ((performance.now() - started) / 1000),
      cpu,
      peakRssMb: svc.peakRssBytes() / 2 ** 20,
    };
  } finally {
    await stop();
  }
}

/** What the machine's cores could carry if CPU were the only limit: cores x 1 s / CPU spent per reading by all. */
const cpuBound = (cpu: Cpu) =>
  Math.round((availableParallelism() * 1e6) / Object.values(cpu.usPerReading).reduce((a, b) => a + b, 0));

const rates = (raw: { rate: number; cpu: Cpu }, svc: Awaited<ReturnType<typeof serviceRate>>) => ({
  rawMsgsPerS: Math.round(raw.rate),
  serviceMsgsPerS: Math.round(svc.stored),
  ratio: +(svc.stored / raw.rate).toFixed(3),
  withRollupsMsgsPerS: Math.round(svc.rolledUp),
  withRollupsRatio: +(svc.rolledUp / raw.rate).toFixed(3),
  rawCpu: raw.cpu,
  serviceCpu: svc.cpu,
  // The best ratio these processes could reach on this machine's cores, from their CPU per reading alone.
  cpuBoundRatio: +(cpuBound(svc.cpu) / cpuBound(raw.cpu)).toFixed(3),
  servicePeakRssMb: Math.round(svc.peakRssMb),
});

export async function benchIngest(n = 100_000) {
  const registry = loadRegistry(DEVICES_DIR);
  const meters = registry.meters.filter((m) => m.commissionedMs <= T0).map((m) => m.id);
  const influx = await startInflux();
  const mosq = await startMosquitto();
  const influxd = childPids('influxd')[0];
  const mosquitto = childPids('mosquitto')[0];
  const results: Record<string, unknown> = { readings: n, meters: meters.length };
  try {
    console.error(`  embedded: raw aedes + subscriber process, ${n} readings ...`);
    const rawAedes = await rawRate(['aedes', String(n)], n, meters, {});
    console.error(`  embedded: service process ...`);
    const svcAedes = await serviceRate(await influx.database(), undefined, n, meters, { influxd });
    console.error(`  mosquitto: raw subscriber process ...`);
    const rawMosq = await rawRate(['sub', mosq.url, String(n)], n, meters, { mosquitto });
    console.error(`  mosquitto: service process ...`);
    const svcMosq = await serviceRate(await influx.database(), { url: mosq.url }, n, meters, {
      influxd,
      mosquitto,
    });
    Object.assign(results, {
      embeddedAedes: rates(rawAedes, svcAedes),
      mosquitto: rates(rawMosq, svcMosq),
      targets: { embeddedRatio: 1.0, mosquittoRatio: 0.8, peakRssMb: 300 },
    });
  } finally {
    await Promise.all([influx.stop(), mosq.stop()]);
  }
  return results;
}
