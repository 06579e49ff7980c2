/**
 * Issue 27's target "the same or better through the embedded broker": CPU per stored reading of a process
 * that is broker and ingester at once.
 *
 * Consumers, each its own process, the broker inside it:
 *   - kzmeter serve as shipped (heap capped) with its embedded aedes (KZM_MQTT_EMBEDDED_PORT): ingest runs in
 *     aedes' authorizePublish hook, so the PUBACK goes out after the write;
 *   - the reference: aedes + the minimal ingester in one process (bench/drain-consumer.mts aedes), the same
 *     hook, the same batches of 5,000 (or 20 ms) as the mosquitto drain's minimal ingester.
 * A broker inside the consumer cannot queue a backlog while the consumer is down, so this is no backlog drain:
 * once the process listens (kzmeter: "Service started.") and its start-up work is done (its CPU quiet:
 * bench/proc-cpu.ts settledCpuMs), its utime + stime is read; the bench process then
 * publishes the readings (4 mqtt.js connections, at most 2,500 unacknowledged each: 10,000 in flight, the window
 * kzmeter's external subscriber holds) as fast as they are acknowledged, and when the last reading is visible
 * in InfluxDB the CPU is read again. CPU per reading = the difference / readings: MQTT parsing, PUBACKs and
 * ingest in both. The start-up is outside the span, so nothing is subtracted. The publisher's CPU (this process)
 * is not counted; influxd's over the same span is.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TestInflux } from '../test/helpers/influx.ts';
import type { InfluxTarget } from '../src/store/influx-target.ts';
import { checkDrain, drainRange, untilStored, type DrainChecks } from './drain-checks.ts';
import type { DrainFigures } from './drain-summary.ts';
import { publishReadings, serveProcess } from './lib.ts';
import { processCpuMs, settledCpuMs } from './proc-cpu.ts';
import { procStatusKb } from '../test/helpers/service-process.ts';

const ROOT = join(import.meta.dirname, '..');

export type EmbeddedKind = 'aedesMinimal' | 'kzmeterEmbedded';

interface Host {
  pid: number;
  mqttUrl: string;
  httpUrl?: string;
  peakRssMb(): number;
  stop(): Promise<void>;
}

async function startReference(target: InfluxTarget, n: number): Promise<Host> {
  const args = ['aedes', '-', '-', String(n), target.url, target.database];
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/drain-consumer.mts'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = JSON.parse(((await lines.next()).value as string | undefined) ?? '{}') as { url?: string };
  if (!first.url) {
    child.kill('SIGKILL');
    throw new Error('the aedes + minimal ingester reference did not start');
  }
  void lines.next(); // {"done":true} at the end; the bench counts in InfluxDB, as for kzmeter
  let peakKb = 0;
  const sample = setInterval(() => (peakKb = Math.max(peakKb, procStatusKb(child.pid!, 'VmHWM'))), 100);
  return {
    pid: child.pid!,
    mqttUrl: first.url,
    peakRssMb: () => Math.max(peakKb, procStatusKb(child.pid!, 'VmHWM')) / 1024,
    async stop() {
      clearInterval(sample);
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function startKzmeter(target: InfluxTarget, registryDir: string): Promise<Host> {
  const { svc, mqttUrl, stop } = await serveProcess(target, registryDir);
  return { pid: svc.pid, mqttUrl, httpUrl: svc.httpUrl, peakRssMb: () => svc.peakRssBytes() / 2 ** 20, stop };
}

/** One embedded run of one consumer: CPU per reading of the broker + ingester process, and kzmeter's checks. */
export async function embeddedOnce(
  kind: EmbeddedKind,
  ctx: {
    influx: TestInflux;
    influxd: number | undefined;
    n: number;
    meters: string[];
    registryDir: string;
    t0Ms: number;
  },
): Promise<{ figures: DrainFigures; checks?: DrainChecks }> {
  const target = await ctx.influx.database();
  const host =
    kind === 'kzmeterEmbedded' ? await startKzmeter(target, ctx.registryDir) : await startReference(target, ctx.n);
  try {
    const settled = await settledCpuMs(host.pid);
    const cpu0 = settled.cpuMs;
    const influxd0 = ctx.influxd ? processCpuMs(ctx.influxd) : 0;
    const t0 = performance.now();
    await publishReadings(host.mqttUrl, {
      meters: ctx.meters,
      total: ctx.n,
      connections: 4,
      window: 2500,
      t0Ms: ctx.t0Ms,
    });
    await untilStored(target, ctx.meters, ctx.n, `${ctx.n} readings stored by ${kind}`);
    const cpuMs = processCpuMs(host.pid) - cpu0;
    const seconds = (performance.now() - t0) / 1000;
    const influxdMs = ctx.influxd ? processCpuMs(ctx.influxd) - influxd0 : 0;
    const figures = {
      usPerReading: (cpuMs * 1000) / ctx.n,
      influxdUsPerReading: (influxdMs * 1000) / ctx.n,
      readingsPerS: ctx.n / seconds,
      peakRssMb: host.peakRssMb(),
      settleMs: settled.settleMs,
      quiet: settled.quiet,
    };
    if (!host.httpUrl) return { figures };
    const range = drainRange(ctx.t0Ms, ctx.n, ctx.meters.length);
    return { figures, checks: await checkDrain(target, host.httpUrl, ctx.n, range) };
  } finally {
    await host.stop();
  }
}
