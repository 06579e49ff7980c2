import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { stringify } from 'yaml';
import type { MeterFacts } from '../src/fees/index.ts';
import type { InfluxTarget } from '../src/store/influx-target.ts';
import { freePort } from '../src/util/free-port.ts';
import { startInflux, type TestInflux } from '../test/helpers/influx.ts';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { queryRows } from '../test/helpers/service.ts';
import { spawnService, type ServiceProcess } from '../test/helpers/service-process.ts';
import { HOUR_MS, benchFacts } from './ledger-data.ts';
import { childPids } from './proc-cpu.ts';

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

/** A registry directory of `n` synthetic meters (bench/ledger-data.ts benchFacts: 50 a site, 100 kW, grid). */
export function writeBenchRegistry(dir: string, n: number, stepMs = 60_000): MeterFacts[] {
  const facts = Array.from({ length: n }, (_, i) => benchFacts(i, stepMs));
  const day = (ms: number) => new Date(ms + 5 * HOUR_MS).toISOString().slice(0, 10); // local date in Asia/Almaty
  const bins = [...new Set(facts.map((f) => f.taxpayerBin))];
  writeFileSync(
    join(dir, 'taxpayers.yaml'),
    stringify({ taxpayers: bins.map((bin) => ({ bin, name: `Bench ${bin}`, licenceSubtype: 'I' })) }),
  );
  const sites = [...new Map(facts.map((f) => [f.siteId, f])).values()].map((f) => ({
    id: f.siteId,
    name: f.siteId,
    taxpayer: f.taxpayerBin,
    timeZone: f.timeZone,
  }));
  writeFileSync(join(dir, 'sites.yaml'), stringify({ sites }));
  const meters = facts.map((f) => ({
    id: f.meterId,
    site: f.siteId,
    reportingIntervalS: f.reportingIntervalS,
    commissionedAt: day(f.commissionedMs),
    sources: f.sources.map((s) => ({ from: day(s.fromMs), source: s.source })),
    maxLoadKw: f.maxLoad[0]!.maxLoadW / 1000,
  }));
  writeFileSync(join(dir, 'meters.yaml'), stringify({ meters }));
  return facts;
}

/** One scrape of a service's /metrics (Prometheus text format). */
export async function scrapeMetrics(httpUrl: string): Promise<string> {
  const res = await fetch(`${httpUrl}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics: HTTP ${res.status}`);
  return res.text();
}

/** The value of an unlabelled sample (or the sum over its label sets) in a scrape; 0 when absent. */
export function metricValue(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Where the service's memory was at a scrape (prom-client's default metrics), MB: a hint at what RSS holds. */
export function memoryAt(text: string) {
  const mb = (name: string) => Math.round(metricValue(text, name) / 1048576);
  return {
    rssMb: mb('process_resident_memory_bytes'),
    heapTotalMb: mb('nodejs_heap_size_total_bytes'),
    heapUsedMb: mb('nodejs_heap_size_used_bytes'),
    externalMb: mb('nodejs_external_memory_bytes'),
  };
}

/** A Prometheus histogram: cumulative counts per upper bound (le, +Inf last). */
export interface HistogramSnapshot {
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  readonly count: number;
  readonly sum: number;
}

export function histogramOf(text: string, name: string): HistogramSnapshot {
  const buckets: { le: number; count: number }[] = [];
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{(?:[^}]*,)?le="([^"]+)"[^}]*\\} (\\S+)$`, 'gm')))
    buckets.push({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), count: Number(m[2]) });
  buckets.sort((a, b) => a.le - b.le);
  return { buckets, count: metricValue(text, `${name}_count`), sum: metricValue(text, `${name}_sum`) };
}

/** What was observed between two scrapes of the same histogram. */
export function histogramDiff(before: HistogramSnapshot, after: HistogramSnapshot): HistogramSnapshot {
  return {
    buckets: after.buckets.map((b, i) => ({ le: b.le, count: b.count - (before.buckets[i]?.count ?? 0) })),
    count: after.count - before.count,
    sum: after.sum - before.sum,
  };
}

/**
 * The q-quantile of a histogram, interpolated linearly within its bucket (as Prometheus' histogram_quantile):
 * exact only to the bucket bounds. In the +Inf bucket: the highest finite bound, flagged `aboveLastBound`.
 */
export function bucketQuantile(h: HistogramSnapshot, q: number): { value: number; aboveLastBound: boolean } {
  const total = h.buckets.at(-1)?.count ?? 0;
  if (total === 0) return { value: NaN, aboveLastBound: false };
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return { value: prevLe, aboveLastBound: true };
      const inBucket = b.count - prevCount;
      const value = inBucket > 0 ? prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket : b.le;
      return { value, aboveLastBound: false };
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return { value: prevLe, aboveLastBound: true };
}

/** The p-th percentile (0..100) of exact samples (nearest rank). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

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
  const svc = await spawnService({
    KZM_HTTP_PORT: String(await freePort()),
    ...(port
      ? { KZM_MQTT_EMBEDDED_PORT: String(port) }
      : { KZM_MQTT_BROKER_URL: brokerUrl!, KZM_MQTT_CLIENT_ID: 'bench-ingest' }),
    KZM_INFLUX_URL: target.url,
    KZM_INFLUX_DATABASE: target.database,
    KZM_DATA_DIR: dataDir,
    KZM_REGISTRY_DIR: registryDir,
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
          hours === n &&
          days === n &&
          metricValue(await scrapeMetrics(httpUrl), 'kzm_rollup_pending_meter_hours') === 0;
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
