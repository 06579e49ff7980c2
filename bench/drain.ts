/**
 * Issue 27's method: CPU per stored reading in a backlog drain. 100,000 QoS 1 readings from 1,000 meters are
 * queued in Debian's mosquitto (the README's block: persistence, no in-flight or queue limit) for a stopped
 * consumer's persistent session; then the consumer starts. CPU = the consumer's utime + stime from its spawn
 * to the last reading visible in InfluxDB (or, for the bare subscriber, received), minus what a start with
 * nothing queued costs it (the idle start-up: from its ready point, subscribed, "Service started." or Node-RED's
 * "Connected to broker", until its CPU is quiet, as the first passes kzmeter's derived data runs after it
 * started are start-up too: bench/proc-cpu.ts settledCpuMs), divided by the readings. influxd's CPU over the same span too.
 * Consumers, each its own process: a bare mqtt.js subscriber (stores nothing), a minimal correct ingester
 * (bench/drain-consumer.mts), kzmeter serve as shipped (heap capped) and Node-RED 4's batch flow
 * (bench/node-red-flow.ts; installed on demand under .bench-cache/, skipped and recorded as such when npm
 * cannot install it). Each kzmeter run is also checked: every reading stored exactly once, hourly rollups
 * complete (bench/drain-checks.ts). Then the embedded-broker variant (bench/drain-embedded.ts). Reported: min
 * and median of the runs, kzmeter's ratios to the references measured in the same run (bench/drain-summary.ts).
 * BENCH_DRAIN_READINGS (100,000), BENCH_DRAIN_METERS (1,000), BENCH_DRAIN_RUNS (3) make it smaller;
 * BENCH_DRAIN_NODE_RED=0 and BENCH_DRAIN_EMBEDDED=0 leave those parts out (recorded as skipped).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startInflux, type TestInflux } from '../test/helpers/influx.ts';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { spawnService } from '../test/helpers/service-process.ts';
import type { InfluxTarget } from '../src/store/influx-target.ts';
import { freePort } from '../src/util/free-port.ts';
import { checkDrain, drainRange, untilStored, type DrainChecks } from './drain-checks.ts';
import { embeddedOnce, type EmbeddedKind } from './drain-embedded.ts';
import { drainRatios, formatDrainSummary, summarise, type DrainFigures, type Summary } from './drain-summary.ts';
import { benchServiceOverrides, publishReadings, writeBenchRegistry } from './lib.ts';
import { ensureNodeRed, NODE_RED_PACKAGES, startNodeRed } from './node-red.ts';
import { childPids, processCpuMs, settledCpuMs } from './proc-cpu.ts';

const ROOT = join(import.meta.dirname, '..');
/**
 * The readings' own time: the hour before the bench started, as a backlog left by a consumer that was down is
 * recent. (Until 2026-12-06 it was 2025-07-01: the service then also sealed those long-ended days and computed
 * fee days for their quarter during the drain, work a backlog does not cause.) BENCH_DRAIN_T0=2025-07-01T00:00Z
 * (any ISO time) puts them back in the past.
 */
const T0 = process.env.BENCH_DRAIN_T0
  ? Date.parse(process.env.BENCH_DRAIN_T0)
  : Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
if (!Number.isFinite(T0)) throw new Error(`BENCH_DRAIN_T0 must be an ISO time, got "${process.env.BENCH_DRAIN_T0}"`);
type Kind = 'bare' | 'minimal' | 'kzmeter' | 'nodeRed';

interface Started {
  pid: number;
  /** kzmeter's HTTP listener (the checks scrape /metrics). */
  httpUrl?: string;
  /** Resolves when the consumer says it handled n (bare); the others are counted in InfluxDB. */
  done?: Promise<void>;
  peakRssMb(): number;
  stop(): Promise<void>;
}

interface Ctx {
  mqttUrl: string;
  clientId: string;
  n: number;
  target: InfluxTarget;
  registryDir: string;
  dataDir: string;
  redJs?: string;
}

function peakRssMb(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

async function startConsumer(kind: Kind, ctx: Ctx): Promise<Started> {
  if (kind === 'kzmeter') {
    const svc = await spawnService({
      KZM_HTTP_PORT: String(await freePort()),
      KZM_MQTT_BROKER_URL: ctx.mqttUrl,
      KZM_MQTT_CLIENT_ID: ctx.clientId,
      KZM_INFLUX_URL: ctx.target.url,
      KZM_INFLUX_DATABASE: ctx.target.database,
      KZM_DATA_DIR: ctx.dataDir,
      KZM_REGISTRY_DIR: ctx.registryDir,
      ...benchServiceOverrides(),
    });
    return {
      pid: svc.pid,
      httpUrl: svc.httpUrl,
      peakRssMb: () => svc.peakRssBytes() / 2 ** 20,
      stop: () => svc.kill('SIGTERM'),
    };
  }
  if (kind === 'nodeRed') {
    const t = ctx.target;
    return startNodeRed(ctx.redJs!, { ...ctx, influxUrl: t.url, database: t.database });
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
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
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

interface RunCtx {
  mqttUrl: string;
  n: number;
  meters: string[];
  registryDir: string;
  influx: TestInflux;
  influxd: number | undefined;
  redJs?: string;
}

async function drainOnce(
  kind: Kind,
  run: number,
  ctx: RunCtx,
): Promise<{ figures: DrainFigures; checks?: DrainChecks }> {
  const target = await ctx.influx.database();
  const dataDir = mkdtempSync(join(tmpdir(), `kzm-drain-${kind}-`));
  const clientId = `drain-${kind}-${run}-${process.pid}`;
  const base = { mqttUrl: ctx.mqttUrl, clientId, target, registryDir: ctx.registryDir, dataDir, redJs: ctx.redJs };
  try {
    // 1. The session, and what a start with nothing queued costs (the idle start-up).
    const idle = await startConsumer(kind, { ...base, n: 0 });
    const settled = await settledCpuMs(idle.pid);
    const idleCpuMs = settled.cpuMs;
    await idle.stop();
    // 2. The backlog, queued by mosquitto for the stopped session.
    await publishReadings(ctx.mqttUrl, { meters: ctx.meters, total: ctx.n, connections: 4, window: 500, t0Ms: T0 });
    // 3. The drain.
    const influxd0 = ctx.influxd ? processCpuMs(ctx.influxd) : 0;
    const t0 = performance.now();
    const c = await startConsumer(kind, { ...base, n: ctx.n });
    try {
      let cpuMs = 0;
      const sampleCpu = setInterval(() => (cpuMs = Math.max(cpuMs, processCpuMs(c.pid))), 50);
      try {
        if (kind === 'bare') await c.done;
        else await untilStored(target, ctx.meters, ctx.n, `${ctx.n} readings stored by ${kind}`);
        cpuMs = Math.max(cpuMs, processCpuMs(c.pid));
      } finally {
        clearInterval(sampleCpu);
      }
      const seconds = (performance.now() - t0) / 1000;
      const influxdMs = ctx.influxd ? processCpuMs(ctx.influxd) - influxd0 : 0;
      const figures = {
        usPerReading: ((cpuMs - idleCpuMs) * 1000) / ctx.n,
        influxdUsPerReading: kind === 'bare' ? 0 : (influxdMs * 1000) / ctx.n,
        readingsPerS: ctx.n / seconds,
        peakRssMb: c.peakRssMb(),
        idleStartMs: idleCpuMs,
        settleMs: settled.settleMs,
        quiet: settled.quiet,
      };
      if (!c.httpUrl) return { figures };
      const range = drainRange(T0, ctx.n, ctx.meters.length);
      return { figures, checks: await checkDrain(target, c.httpUrl, ctx.n, range) };
    } finally {
      await c.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Node-RED's install, or why it is left out (BENCH_DRAIN_NODE_RED=0, or npm could not install it). */
function nodeRedOrReason(): { redJs: string } | { skipped: string } {
  if (process.env.BENCH_DRAIN_NODE_RED === '0') return { skipped: 'BENCH_DRAIN_NODE_RED=0' };
  const install = ensureNodeRed(ROOT);
  if (!install.ok) console.error(`  Node-RED skipped: ${install.reason}`);
  return install.ok ? { redJs: install.redJs } : { skipped: install.reason };
}

type Outcome = Summary | { skipped: string } | { failed: string };

export async function benchDrain(
  n = Number(process.env.BENCH_DRAIN_READINGS ?? 100_000),
  runs = Number(process.env.BENCH_DRAIN_RUNS ?? 3),
) {
  const meterCount = Number(process.env.BENCH_DRAIN_METERS ?? 1000);
  const registryDir = mkdtempSync(join(tmpdir(), 'kzm-drain-reg-'));
  const meters = writeBenchRegistry(registryDir, meterCount).map((f) => f.meterId);
  const nodeRed = nodeRedOrReason();
  const embedded = process.env.BENCH_DRAIN_EMBEDDED !== '0';
  const influx = await startInflux();
  const mosq = await startMosquitto();
  const influxd = childPids('influxd')[0];
  const load0 = loadavg()[0]!;
  const out: Record<string, unknown> = { readings: n, meters: meterCount, runs };
  try {
    const kinds: Kind[] = ['bare', 'minimal', 'kzmeter', ...('redJs' in nodeRed ? (['nodeRed'] as const) : [])];
    const embeddedKinds: EmbeddedKind[] = embedded ? ['aedesMinimal', 'kzmeterEmbedded'] : [];
    const by: Record<string, DrainFigures[]> = {};
    const failed: Record<string, string> = {};
    const checks: (DrainChecks & { run: number; broker: string })[] = [];
    const redJs = 'redJs' in nodeRed ? nodeRed.redJs : undefined;
    const ctx: RunCtx = { mqttUrl: mosq.url, n, meters, registryDir, influx, influxd, redJs };
    for (let run = 0; run < runs; run++)
      for (const kind of [...kinds, ...embeddedKinds]) {
        if (failed[kind]) continue;
        console.error(`  drain run ${run + 1}/${runs}: ${kind} ...`);
        try {
          const r =
            kind === 'aedesMinimal' || kind === 'kzmeterEmbedded'
              ? await embeddedOnce(kind, { influx, influxd, n, meters, registryDir, t0Ms: T0 })
              : await drainOnce(kind, run, ctx);
          (by[kind] ??= []).push(r.figures);
          if (r.checks)
            checks.push({ run: run + 1, broker: kind === 'kzmeter' ? 'mosquitto' : 'embedded', ...r.checks });
        } catch (err) {
          // Node-RED acknowledges on receipt: readings it loses never arrive. Recorded, the others go on.
          if (kind !== 'nodeRed') throw err;
          failed[kind] = (err as Error).message.slice(0, 600);
          console.error(`  Node-RED failed: ${failed[kind]}`);
        }
      }
    const s: Record<string, Outcome> = {};
    for (const k of [...kinds, ...embeddedKinds]) s[k] = failed[k] ? { failed: failed[k] } : summarise(by[k]!);
    if ('skipped' in nodeRed) s.nodeRed = { skipped: nodeRed.skipped };
    if (!embedded) s.embedded = { skipped: 'BENCH_DRAIN_EMBEDDED=0' };
    const ok = (k: string) => (s[k] && 'usPerReading' in s[k] ? s[k] : undefined);
    const r = drainRatios({
      minimal: ok('minimal'),
      kzmeter: ok('kzmeter'),
      nodeRed: ok('nodeRed'),
      aedesMinimal: ok('aedesMinimal'),
      kzmeterEmbedded: ok('kzmeterEmbedded'),
    });
    Object.assign(out, s, r, {
      nodeRedVersions: 'redJs' in nodeRed ? NODE_RED_PACKAGES : null,
      kzmeterChecks: checks,
      allExactlyOnce: checks.every((c) => c.exactlyOnce),
      allRollupsComplete: checks.every((c) => c.rollupsComplete),
      loadAverage: { before: +load0.toFixed(2), after: +loadavg()[0]!.toFixed(2) },
    });
    console.log(formatDrainSummary(s, r, checks).join('\n'));
  } finally {
    await Promise.all([influx.stop(), mosq.stop()]);
    rmSync(registryDir, { recursive: true, force: true });
  }
  return out;
}
