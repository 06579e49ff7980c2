import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { TestInflux } from '../test/helpers/influx.ts';
import {
  onBothBrokers,
  progress,
  publishReadings,
  sampleRss,
  serveProcess,
  waitStoredAndRolledUp,
  writeBenchRegistry,
} from './lib.ts';
import {
  bucketQuantile,
  histogramDiff,
  histogramOf,
  memoryAt,
  metricValue,
  percentile,
  scrapeMetrics,
} from './prom-scrape.ts';
import { cpuMeter } from './proc-cpu.ts';

/**
 * Latency publish -> stored at half the maximum rate, and the service's memory at that load (issue 14: p99 under
 * 1 s held 60 s, RSS under 300 MB). For the embedded aedes broker and Debian's mosquitto, each with the service
 * as its own process against a real influxd, on a registry of 1,000 meters (50 a site):
 *  1. maximum rate, in the same run: a burst of QoS 1 readings (4 connections, 500 unacknowledged each) timed
 *     until all are queryable; then until the rollups caught up, so they do not load the next phase;
 *  2. paced phase: half that rate for BENCH_LATENCY_S (default 60) seconds from 20 gateway connections (one a
 *     site, each meter on one connection), every reading stamped with the wall clock at publish;
 *  3. latency: the service's histogram kzm_ingest_reading_age_at_store_seconds scraped before and after the
 *     paced phase (the difference is that phase), p50/p99 interpolated within its buckets; for the embedded
 *     broker, which acknowledges only after the InfluxDB write, also the exact publish -> PUBACK times;
 *  4. RSS: the service's VmRSS sampled every 200 ms over the paced phase and its drain, plus VmHWM.
 */
const METERS = 1000;
const GATEWAYS = 20;
const LIMIT_S = 1;
const LIMIT_RSS_MB = 300;
const AGE = 'kzm_ingest_reading_age_at_store_seconds';
/** Unacknowledged messages the paced publishers allow in all before they fall behind the pace (counted). */
const MAX_UNACKED = 50_000;
const KW = 80;

interface Paced {
  readonly sent: number;
  readonly acked: number;
  readonly seconds: number;
  readonly behindTicks: number;
  /** publish -> PUBACK, ms, sorted. */
  readonly ackMs: Float64Array;
}

/**
 * Publishes `ratePerS` readings a second for `seconds`, round robin over the meters; meter i always on the
 * connection of its site's gateway (so its readings arrive in order). ts = wall clock at publish (+1 ms when a
 * meter would repeat one), register from 80 kW since the start, both strictly increasing per meter.
 */
async function publishPaced(
  url: string,
  meters: string[],
  ratePerS: number,
  seconds: number,
  status: () => string,
): Promise<Paced> {
  const clients: MqttClient[] = await Promise.all(
    Array.from({ length: GATEWAYS }, (_, i) =>
      mqtt.connectAsync(url, { clientId: `bench-gw-${i}-${process.pid}`, reconnectPeriod: 0 }),
    ),
  );
  const lastTs = new Float64Array(meters.length);
  const lastWh = new Float64Array(meters.length);
  const ackMs = new Float64Array(Math.ceil(ratePerS * seconds) + 1000);
  let sent = 0;
  let acked = 0;
  let failed = 0;
  let behindTicks = 0;
  const startMs = Date.now();
  const started = performance.now();
  const stopProgress = progress(
    () =>
      `paced: sent ${sent} (${Math.round(sent / ((performance.now() - started) / 1000))}/s), acked ${acked}, unacked ${sent - acked}; ${status()}`,
  );
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = (performance.now() - started) / 1000;
      const due = Math.floor(ratePerS * Math.min(elapsed, seconds));
      while (sent < due) {
        if (sent - acked >= MAX_UNACKED) {
          behindTicks++;
          break;
        }
        const j = sent % meters.length;
        const ts = Math.max(Date.now(), lastTs[j]! + 1);
        const wh = Math.max(lastWh[j]! + 1, 2_000_000 + j * 1000 + Math.floor(((ts - startMs) * KW) / 3600));
        lastTs[j] = ts;
        lastWh[j] = wh;
        const k = sent++;
        const t0 = performance.now();
        clients[Math.floor((j * GATEWAYS) / meters.length)]!.publish(
          `meters/${meters[j]}/reading`,
          JSON.stringify({ ts, kwh: wh / 1000, kw: KW }),
          { qos: 1 },
          (err) => {
            if (err) failed++;
            else ackMs[k] = performance.now() - t0;
            acked++;
          },
        );
      }
      if (elapsed >= seconds) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  const seconds_ = (performance.now() - started) / 1000;
  const until = Date.now() + 120_000;
  while (acked < sent && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  stopProgress();
  await Promise.all(clients.map((c) => c.endAsync()));
  if (acked < sent) throw new Error(`${sent - acked} of ${sent} paced readings not acknowledged within 120 s`);
  if (failed) throw new Error(`${failed} paced publishes failed`);
  return { sent, acked, seconds: seconds_, behindTicks, ackMs: ackMs.subarray(0, sent).sort() };
}

const r3 = (x: number) => +x.toFixed(3);

async function run(
  influx: TestInflux,
  registryDir: string,
  meters: string[],
  burst: number,
  seconds: number,
  brokerUrl: string | undefined,
  pids: Record<string, number | undefined>,
) {
  const target = await influx.database();
  const { svc, mqttUrl, stop } = await serveProcess(target, registryDir, brokerUrl);
  try {
    // 1. the maximum rate: a burst on yesterday's readings, until queryable (then until rolled up)
    const t0Ms = Math.floor((Date.now() - 86_400_000) / 3_600_000) * 3_600_000;
    const started = performance.now();
    let storedS = 0;
    await publishReadings(mqttUrl, { meters, total: burst, connections: 4, window: 500, t0Ms });
    const caught = await waitStoredAndRolledUp(target, svc.httpUrl, burst, 180_000, () => {
      storedS = (performance.now() - started) / 1000;
    });
    if (!caught.caughtUp) throw new Error(`burst: stored ${caught.stored}, rolled up ${caught.days} of ${burst}`);
    const maxRate = burst / storedS;
    const maxRateRolledUp = burst / ((performance.now() - started) / 1000);
    const pacedRate = Math.round(maxRate / 2);
    console.error(`  max ${Math.round(maxRate)} readings/s; paced phase at ${pacedRate}/s for ${seconds} s ...`);

    // 2. paced phase at half of it, histogram and RSS around it
    const before = await scrapeMetrics(svc.httpUrl);
    const rss = sampleRss(svc.pid, 200);
    const rssAtStartMb = rss.currentMb();
    const cpu = cpuMeter({ ...pids, service: svc.pid });
    const paced = await publishPaced(mqttUrl, meters, pacedRate, seconds, () => `service RSS ${rss.currentMb()} MB`);
    // mosquitto acknowledges on receipt: wait until the service accepted them all
    const until = Date.now() + 120_000;
    let after = await scrapeMetrics(svc.httpUrl);
    while (
      metricValue(after, 'kzm_ingest_readings_accepted_total') -
        metricValue(before, 'kzm_ingest_readings_accepted_total') <
        paced.sent &&
      Date.now() < until
    ) {
      await new Promise((r) => setTimeout(r, 200));
      after = await scrapeMetrics(svc.httpUrl);
    }
    const memory = rss.stop();
    // What the service warned about during the run (its last lines), for whoever reads the figures.
    for (const l of svc.logTail().split('\n'))
      if (/"level":(40|50)/.test(l)) console.error(`  service: ${l.slice(0, 300)}`);
    const cpuUse = cpu(paced.sent);
    const accepted =
      metricValue(after, 'kzm_ingest_readings_accepted_total') -
      metricValue(before, 'kzm_ingest_readings_accepted_total');
    const rejected = metricValue(after, 'kzm_ingest_rejected_total');
    const age = histogramDiff(histogramOf(before, AGE), histogramOf(after, AGE));
    const p50 = bucketQuantile(age, 0.5);
    const p99 = bucketQuantile(age, 0.99);
    return {
      maxRate: Math.round(maxRate),
      maxRateRolledUp: Math.round(maxRateRolledUp),
      pacedRate,
      achievedRate: Math.round(paced.sent / paced.seconds),
      pacedSeconds: r3(paced.seconds),
      sent: paced.sent,
      accepted,
      rejected,
      acceptedEqualsSent: accepted === paced.sent,
      behindPaceTicks: paced.behindTicks,
      // Rollups in the paced phase: raw readings read back per reading stored, hours extended, failed passes.
      rollups: {
        readBackPerReading: r3(
          (metricValue(after, 'kzm_rollup_raw_readings_read_total') -
            metricValue(before, 'kzm_rollup_raw_readings_read_total')) /
            Math.max(1, accepted),
        ),
        incrementalHours:
          metricValue(after, 'kzm_rollup_hourly_incremental_total') -
          metricValue(before, 'kzm_rollup_hourly_incremental_total'),
        hoursRecomputed:
          metricValue(after, 'kzm_rollup_hourly_recomputed_total') -
          metricValue(before, 'kzm_rollup_hourly_recomputed_total'),
        failedPasses: metricValue(after, 'kzm_rollup_passes_total{outcome="error"}'),
      },
      storedLatency: {
        source: `${AGE} (bucket-interpolated)`,
        observations: age.count,
        p50S: r3(p50.value),
        p99S: r3(p99.value),
        ...(p99.aboveLastBound && { p99AboveLastBucket: true }),
        meanS: r3(age.sum / age.count),
      },
      ...(!brokerUrl && {
        pubackLatency: {
          source: 'publisher: publish -> PUBACK (exact)',
          p50S: r3(percentile(paced.ackMs, 50) / 1000),
          p99S: r3(percentile(paced.ackMs, 99) / 1000),
          maxS: r3(paced.ackMs.at(-1)! / 1000),
        },
      }),
      targetS: LIMIT_S,
      p99Ratio: r3(p99.value / LIMIT_S),
      rssAtStartMb,
      peakRssMb: memory.peakRssMb,
      vmHwmMb: memory.vmHwmMb,
      memoryAtEnd: memoryAt(after),
      rssLimitMb: LIMIT_RSS_MB,
      rssRatio: r3(memory.peakRssMb / LIMIT_RSS_MB),
      cpu: cpuUse,
    };
  } finally {
    await stop();
  }
}

export async function benchLatency(
  seconds = Number(process.env.BENCH_LATENCY_S ?? 60),
  burst = Number(process.env.BENCH_LATENCY_BURST ?? 60_000),
) {
  const dir = mkdtempSync(join(tmpdir(), 'kzm-bench-lat-'));
  const meters = writeBenchRegistry(dir, METERS).map((f) => f.meterId);
  try {
    const brokers = await onBothBrokers('latency', (influx, url, pids) =>
      run(influx, dir, meters, burst, seconds, url, pids),
    );
    const result = { meters: METERS, gateways: GATEWAYS, burst, pacedSeconds: seconds, ...brokers };
    printLatency(result);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function printLatency(r: {
  embeddedAedes: Awaited<ReturnType<typeof run>>;
  mosquitto: Awaited<ReturnType<typeof run>>;
}) {
  for (const [name, x] of [
    ['embedded aedes', r.embeddedAedes],
    ['mosquitto', r.mosquitto],
  ] as const) {
    console.log(
      `${name}: max ${x.maxRate}/s, paced ${x.pacedRate}/s (achieved ${x.achievedRate}/s over ${x.pacedSeconds} s); ` +
        `publish -> stored p50 ${x.storedLatency.p50S} s, p99 ${x.storedLatency.p99S} s (bucket-interpolated) = ` +
        `${x.p99Ratio} of the ${x.targetS} s target` +
        (x.pubackLatency ? `; PUBACK p50 ${x.pubackLatency.p50S} s, p99 ${x.pubackLatency.p99S} s (exact)` : '') +
        `; peak RSS ${x.peakRssMb} MB = ${x.rssRatio} of ${x.rssLimitMb} MB; accepted ${x.accepted} ${x.acceptedEqualsSent ? '==' : '!='} sent ${x.sent}; machine busy ${x.cpu.machineBusy}`,
    );
  }
}
