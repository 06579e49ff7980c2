/**
 * Issue 27's method: CPU per stored reading in a backlog drain. 100,000 QoS 1 readings from 1,000 meters are
 * queued in Debian's mosquitto (the README's block: persistence, no in-flight or queue limit) for a stopped
 * consumer's persistent session; then the consumer starts. CPU = the consumer's utime + stime from its spawn
 * to the last reading visible in InfluxDB (or, for the bare subscriber, received), minus what a start with
 * nothing queued costs it (the idle start-up), divided by the readings. influxd's CPU over the same span too.
 * Consumers, each its own process: a bare mqtt.js subscriber (stores nothing), a minimal correct ingester
 * (bench/drain-consumer.mts) and kzmeter serve as shipped (heap capped). Reported: min and median of the runs,
 * and kzmeter's ratios to the minimal ingester measured in the same run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startInflux } from '../test/helpers/influx.ts';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { spawnService } from '../test/helpers/service-process.ts';
import { eventually, queryRows } from '../test/helpers/service.ts';
import type { InfluxTarget } from '../src/store/influx-target.ts';
import { freePort } from '../src/util/free-port.ts';
import { publishReadings, writeBenchRegistry } from './lib.ts';
import { childPids, processCpuMs } from './proc-cpu.ts';

const ROOT = join(import.meta.dirname, '..');
const T0 = Date.UTC(2025, 6, 1);
type Kind = 'bare' | 'minimal' | 'kzmeter';

interface Started {
  pid: number;
  /** Resolves when the consumer says it handled n (bare, minimal); undefined for kzmeter (count in InfluxDB). */
  done?: Promise<void>;
  peakRssMb(): number;
  stop(): Promise<void>;
}

function peakRssMb(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

async function startConsumer(
  kind: Kind,
  ctx: { mqttUrl: string; clientId: string; n: number; target: InfluxTarget; registryDir: string; dataDir: string },
): Promise<Started> {
  if (kind === 'kzmeter') {
    const svc = await spawnService({
      KZM_HTTP_PORT: String(await freePort()),
      KZM_MQTT_BROKER_URL: ctx.mqttUrl,
      KZM_MQTT_CLIENT_ID: ctx.clientId,
      KZM_INFLUX_URL: ctx.target.url,
      KZM_INFLUX_DATABASE: ctx.target.database,
      KZM_DATA_DIR: ctx.dataDir,
      KZM_REGISTRY_DIR: ctx.registryDir,
    });
    return { pid: svc.pid, peakRssMb: () => svc.peakRssBytes() / 2 ** 20, stop: () => svc.kill('SIGTERM') };
  }
  const args = [
    ctx.mqttUrl,
    ctx.clientId,
    String(ctx.n),
    ...(kind === 'minimal' ? [ctx.target.url, ctx.target.database] : []),
  ];
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench/drain-consumer.mts'), kind, ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  await lines.next(); // {"ready":true}
  let peak = 0;
  const sample = setInterval(() => (peak = Math.max(peak, peakRssMb(child.pid!))), 100);
  const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
  const done = ctx.n > 0 ? lines.next().then(() => undefined) : exited;
  return {
    pid: child.pid!,
    done,
    peakRssMb: () => Math.max(peak, peakRssMb(child.pid!)),
    async stop() {
      clearInterval(sample);
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

async function drainOnce(
  kind: Kind,
  run: number,
  ctx: {
    mqttUrl: string;
    n: number;
    meters: string[];
    registryDir: string;
    influx: Awaited<ReturnType<typeof startInflux>>;
    influxd: number | undefined;
  },
) {
  const target = await ctx.influx.database();
  const dataDir = mkdtempSync(join(tmpdir(), `kzm-drain-${kind}-`));
  const clientId = `drain-${kind}-${run}-${process.pid}`;
  const base = { mqttUrl: ctx.mqttUrl, clientId, target, registryDir: ctx.registryDir, dataDir };
  try {
    // 1. The session, and what a start with nothing queued costs (the idle start-up).
    const idle = await startConsumer(kind, { ...base, n: 0 });
    const idleCpuMs = processCpuMs(idle.pid);
    await idle.stop();
    // 2. The backlog, queued by mosquitto for the stopped session.
    await publishReadings(ctx.mqttUrl, { meters: ctx.meters, total: ctx.n, connections: 4, window: 500, t0Ms: T0 });
    // 3. The drain.
    const influxd0 = ctx.influxd ? processCpuMs(ctx.influxd) : 0;
    const t0 = performance.now();
    const c = await startConsumer(kind, { ...base, n: ctx.n });
    let cpuMs = 0;
    const sampleCpu = setInterval(() => (cpuMs = Math.max(cpuMs, processCpuMs(c.pid))), 50);
    if (kind === 'bare') await c.done;
    else
      await eventually(
        async () => Number((await queryRows(target, 'SELECT count(wh) AS n FROM reading'))[0]?.n ?? 0),
        (k) => k >= ctx.n,
        300_000,
        { what: `${ctx.n} readings stored by ${kind}`, intervalMs: 50 },
      );
    cpuMs = Math.max(cpuMs, processCpuMs(c.pid));
    clearInterval(sampleCpu);
    const seconds = (performance.now() - t0) / 1000;
    const influxdMs = ctx.influxd ? processCpuMs(ctx.influxd) - influxd0 : 0;
    const rss = c.peakRssMb();
    await c.stop();
    return {
      usPerReading: ((cpuMs - idleCpuMs) * 1000) / ctx.n,
      influxdUsPerReading: kind === 'bare' ? 0 : (influxdMs * 1000) / ctx.n,
      readingsPerS: ctx.n / seconds,
      peakRssMb: rss,
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchDrain(
  n = Number(process.env.BENCH_DRAIN_READINGS ?? 100_000),
  runs = Number(process.env.BENCH_DRAIN_RUNS ?? 3),
) {
  const meterCount = Number(process.env.BENCH_DRAIN_METERS ?? 1000);
  const registryDir = mkdtempSync(join(tmpdir(), 'kzm-drain-reg-'));
  const meters = writeBenchRegistry(registryDir, meterCount).map((f) => f.meterId);
  const influx = await startInflux();
  const mosq = await startMosquitto();
  const influxd = childPids('influxd')[0];
  const load0 = loadavg()[0]!;
  const out: Record<string, unknown> = { readings: n, meters: meterCount, runs };
  try {
    const by: Record<Kind, Awaited<ReturnType<typeof drainOnce>>[]> = { bare: [], minimal: [], kzmeter: [] };
    for (let run = 0; run < runs; run++)
      for (const kind of ['bare', 'minimal', 'kzmeter'] as const) {
        console.error(`  drain run ${run + 1}/${runs}: ${kind} ...`);
        by[kind].push(await drainOnce(kind, run, { mqttUrl: mosq.url, n, meters, registryDir, influx, influxd }));
      }
    const sum = (k: Kind) => {
      const r = by[k];
      const f = (get: (x: (typeof r)[number]) => number) => ({
        min: +Math.min(...r.map(get)).toFixed(1),
        median: +median(r.map(get)).toFixed(1),
      });
      return {
        usPerReading: f((x) => x.usPerReading),
        influxdUsPerReading: f((x) => x.influxdUsPerReading),
        readingsPerS: f((x) => x.readingsPerS),
        peakRssMb: Math.round(Math.max(...r.map((x) => x.peakRssMb))),
      };
    };
    const s = { bare: sum('bare'), minimal: sum('minimal'), kzmeter: sum('kzmeter') };
    Object.assign(out, s, {
      ratios: {
        // issue 27's targets: <= 2.0 (service CPU), <= 2.0 (influxd CPU), peak RSS < 300 MB
        cpuVsMinimal: +(s.kzmeter.usPerReading.median / s.minimal.usPerReading.median).toFixed(2),
        influxdVsMinimal: +(s.kzmeter.influxdUsPerReading.median / s.minimal.influxdUsPerReading.median).toFixed(2),
      },
      loadAverage: { before: +load0.toFixed(2), after: +loadavg()[0]!.toFixed(2) },
    });
  } finally {
    await Promise.all([influx.stop(), mosq.stop()]);
    rmSync(registryDir, { recursive: true, force: true });
  }
  return out;
}
