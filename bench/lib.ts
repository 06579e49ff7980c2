import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import mqtt, { type MqttClient } from 'mqtt';
import type { InfluxTarget } from '../src/store/influx-target.ts';
import { freePort } from '../src/util/free-port.ts';
import { startInflux, type TestInflux } from '../test/helpers/influx.ts';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { queryRows } from '../test/helpers/service.ts';
import { procStatusKb, spawnService, type ServiceProcess } from '../test/helpers/service-process.ts';
import { childPids } from './proc-cpu.ts';
import { metricValue, scrapeMetrics } from './prom-scrape.ts';

export const RESULTS_DIR = '.bench-results';

export function saveResult(name: string, data: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2));
  return file;
}

export const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

/** Publish `total` QoS 1 readings spread over `meters` meters from `connections` clients, at most `window` unacked each. */
export async function publishReadings(
  url: string,
  opts: {
    meters: string[];
    total: number;
    connections: number;
    window: number;
    t0Ms: number;
    /** The k-th reading of a meter as topic + payload; default our JSON on meters/{id}/reading. */
    message?: (meter: string, k: number) => { topic: string; payload: string };
    /** A gateway identity for every meter (authentication on); none = anonymous (lab). */
    auth?: { username: string; password: string };
  },
): Promise<number> {
  const clients: MqttClient[] = await Promise.all(
    Array.from({ length: opts.connections }, (_, i) =>
      mqtt.connectAsync(url, { clientId: `bench-pub-${i}-${process.pid}`, ...opts.auth }),
    ),
  );
  const started = performance.now();
  let next = 0;
  await Promise.all(
    clients.map(async (c) => {
      const inflight = new Set<Promise<unknown>>();
      for (;;) {
        const i = next++;
        if (i >= opts.total) break;
        const meter = opts.meters[i % opts.meters.length]!;
        const k = Math.floor(i / opts.meters.length);
        const m = opts.message?.(meter, k) ?? {
          topic: `meters/${meter}/reading`,
          payload: JSON.stringify({ ts: opts.t0Ms + k * 1000, kwh: (1_000_000 + k * 55) / 1000, kw: 198.5 }),
        };
        const p = c.publishAsync(m.topic, m.payload, { qos: 1 });
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
        if (inflight.size >= opts.window) await Promise.race(inflight);
      }
      await Promise.all(inflight);
    }),
  );
  const s = (performance.now() - started) / 1000;
  await Promise.all(clients.map((c) => c.endAsync()));
  return s;
}

export { writeBenchRegistry } from '../test/helpers/synthetic-registry.ts';

/** Samples a process' resident set (VmRSS) every `everyMs` until stopped; peak and last in MB, VmHWM at stop. */
export function sampleRss(pid: number, everyMs = 200) {
  let peakKb = procStatusKb(pid, 'VmRSS');
  let samples = 1;
  const timer = setInterval(() => {
    peakKb = Math.max(peakKb, procStatusKb(pid, 'VmRSS'));
    samples++;
  }, everyMs);
  return {
    currentMb: () => Math.round(procStatusKb(pid, 'VmRSS') / 1024),
    peakMb: () => Math.round(peakKb / 1024),
    stop() {
      clearInterval(timer);
      peakKb = Math.max(peakKb, procStatusKb(pid, 'VmRSS'));
      return {
        peakRssMb: Math.round(peakKb / 1024),
        vmHwmMb: Math.round(procStatusKb(pid, 'VmHWM') / 1024),
        samples,
        everyMs,
      };
    },
  };
}

/** Calls `line()` every `everyMs` and prints it to stderr (progress of a long phase); returns the stop function. */
export function progress(line: () => string, everyMs = 5000): () => void {
  const started = performance.now();
  const timer = setInterval(
    () => console.error(`  [${((performance.now() - started) / 1000).toFixed(0)} s] ${line()}`),
    everyMs,
  );
  return () => clearInterval(timer);
}

/** BENCH_SERVICE_ENV: a JSON object of KZM_* settings to try; refused with the reason when it is anything else. */
function benchServiceEnv(): Record<string, string> {
  const raw = process.env.BENCH_SERVICE_ENV;
  if (!raw) return {};
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (err) {
    throw new Error(
      `BENCH_SERVICE_ENV is not JSON (${(err as Error).message}); e.g. '{"KZM_INFLUX_BATCH_SIZE":"2000"}'`,
      { cause: err },
    );
  }
  const parsed = z.record(z.string(), z.string()).safeParse(doc);
  if (!parsed.success) throw new Error(`BENCH_SERVICE_ENV: an object of strings, ${parsed.error.issues[0]!.message}`);
  const stray = Object.keys(parsed.data).find((k) => !/^KZM_[A-Z0-9_]+$/.test(k));
  if (stray) throw new Error(`BENCH_SERVICE_ENV: "${stray}" is not a KZM_* setting (README "Configuration")`);
  return parsed.data;
}

/** What a bench may change in the service it starts, from its environment (none: as shipped). */
export function benchServiceOverrides(): Record<string, string> {
  return {
    // For experiments only: Node flags in place of the shipped ones (SERVICE_NODE_OPTIONS), e.g. --cpu-prof.
    ...(process.env.BENCH_SERVICE_NODE_OPTIONS && { NODE_OPTIONS: process.env.BENCH_SERVICE_NODE_OPTIONS }),
    // Likewise settings to try (JSON of KZM_* variables), e.g. '{"KZM_INFLUX_FLUSH_INTERVAL_MS":"50"}'.
    ...benchServiceEnv(),
  };
}

/**
 * `kzmeter serve` as its own process (test/helpers/service-process.ts, lab mode) against `target`, on the
 * registry in `registryDir`: the embedded broker on a free port, or subscribed to `brokerUrl`.
 */
export async function serveProcess(
  target: InfluxTarget,
  registryDir: string,
  brokerUrl?: string,
): Promise<{ svc: ServiceProcess; mqttUrl: string; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kzm-bench-svc-'));
  const port = brokerUrl ? undefined : await freePort();
  // The OS can hand out the same free port twice (neither is bound yet): the HTTP port must differ.
  let httpPort = await freePort();
  while (httpPort === port) httpPort = await freePort();
  const svc = await spawnService({
    KZM_HTTP_PORT: String(httpPort),
    ...(port
      ? { KZM_MQTT_EMBEDDED_PORT: String(port) }
      : { KZM_MQTT_BROKER_URL: brokerUrl!, KZM_MQTT_CLIENT_ID: 'bench-ingest' }),
    KZM_INFLUX_URL: target.url,
    KZM_INFLUX_DATABASE: target.database,
    KZM_DATA_DIR: dataDir,
    KZM_REGISTRY_DIR: registryDir,
    ...benchServiceOverrides(),
  }).catch((err: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  return {
    svc,
    mqttUrl: brokerUrl ?? `mqtt://127.0.0.1:${port}`,
    async stop() {
      await svc.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls the stored and rolled-up counts until both reach `n` and no meter-hour waits (false: timed out). */
export async function waitStoredAndRolledUp(
  target: InfluxTarget,
  httpUrl: string,
  n: number,
  timeoutMs: number,
  onStored?: () => void,
  status?: () => string,
): Promise<{ stored: number; hours: number; days: number; caughtUp: boolean }> {
  const count = async (q: string) => Number((await queryRows(target, q))[0]?.n ?? 0);
  const until = Date.now() + timeoutMs;
  let stored = 0;
  let reported = false;
  const stop = progress(() => `stored ${stored} of ${n}${status ? `; ${status()}` : ''}`);
  try {
    for (;;) {
      stored = await count('SELECT count(wh) AS n FROM reading');
      if (stored >= n && !reported) {
        reported = true;
        onStored?.();
      }
      if (stored >= n) {
        const hours = await count('SELECT sum("count") AS n FROM "reading_1h"');
        const days = await count('SELECT sum("count") AS n FROM "reading_1d"');
        // the scrape (1,000 meters' gauges) only once the rollups hold every reading
        const caughtUp =
          hours === n && days === n && metricValue(await scrapeMetrics(httpUrl), 'kzm_rollup_pending_hourly') === 0;
        if (caughtUp || Date.now() > until) return { stored, hours, days, caughtUp };
      } else if (Date.now() > until) return { stored, hours: 0, days: 0, caughtUp: false };
      await new Promise((r) => setTimeout(r, stored >= n ? 200 : 100));
    }
  } finally {
    stop();
  }
}

/**
 * `fn` with the service on the embedded aedes broker, then on Debian's mosquitto (brokerUrl), on one influxd;
 * `pids`: those two servers' process ids (for bench/proc-cpu.ts cpuMeter).
 */
export async function onBothBrokers<T>(
  label: string,
  fn: (influx: TestInflux, brokerUrl: string | undefined, pids: Record<string, number | undefined>) => Promise<T>,
): Promise<{ embeddedAedes: T; mosquitto: T }> {
  const influx = await startInflux();
  const mosq = await startMosquitto();
  const pids = { influxd: childPids('influxd')[0], mosquitto: childPids('mosquitto')[0] };
  try {
    console.error(`${label}: embedded aedes broker ...`);
    const embeddedAedes = await fn(influx, undefined, { influxd: pids.influxd });
    console.error(`${label}: Debian mosquitto ...`);
    return { embeddedAedes, mosquitto: await fn(influx, mosq.url, pids) };
  } finally {
    await Promise.all([influx.stop(), mosq.stop()]);
  }
}
