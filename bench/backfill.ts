import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { TestInflux } from '../test/helpers/influx.ts';
import { forEachReading } from './ledger-data.ts';
import { onBothBrokers, progress, sampleRss, serveProcess, waitStoredAndRolledUp, writeBenchRegistry } from './lib.ts';
import { memoryAt, metricValue, scrapeMetrics } from './prom-scrape.ts';
import { cpuMeter } from './proc-cpu.ts';

/**
 * A 1,000-meter backfill (issue 14: RSS under 300 MB during it). After an outage every site's gateway flushes
 * its buffer: each meter's last BENCH_BACKFILL_HOURS (default 6) hours of 1-minute readings (bench/ledger-data.ts
 * forEachReading), as JSON arrays of BENCH_BACKFILL_BATCH (default 60) readings on meters/{id}/reading, QoS 1,
 * as fast as the broker takes them (20 gateways = one a site of 50 meters, 100 unacknowledged messages each).
 * The service runs as its own process against a real influxd, with the embedded broker and with Debian's
 * mosquitto; readings/s until all are queryable, until the rollups caught up, and the service's peak RSS
 * (VmRSS sampled every 200 ms, and VmHWM) over the whole backfill.
 */
const METERS = 1000;
const GATEWAYS = 20;
const WINDOW = 100;
const STEP_MS = 60_000;
const LIMIT_RSS_MB = 300;

/** The messages of one gateway: batch b of every one of its meters, then batch b + 1 (each meter in order). */
function gatewayMessages(meterIds: string[], gw: number, fromMs: number, toMs: number, batch: number) {
  const perMeter: { topic: string; batches: string[] }[] = [];
  const perGateway = meterIds.length / GATEWAYS; // 50 = a site of benchFacts
  for (let i = gw * perGateway; i < (gw + 1) * perGateway; i++) {
    const items: string[] = [];
    forEachReading(i, fromMs, toMs, STEP_MS, (ts, wh) => items.push(JSON.stringify({ ts, kwh: wh / 1000 })));
    const batches: string[] = [];
    for (let k = 0; k < items.length; k += batch) batches.push(`[${items.slice(k, k + batch).join(',')}]`);
    perMeter.push({ topic: `meters/${meterIds[i]}/reading`, batches });
  }
  const out: { topic: string; payload: string }[] = [];
  const rounds = Math.max(...perMeter.map((m) => m.batches.length));
  for (let b = 0; b < rounds; b++)
    for (const m of perMeter) if (b < m.batches.length) out.push({ topic: m.topic, payload: m.batches[b]! });
  return out;
}

async function publishBacklog(url: string, messages: { topic: string; payload: string }[][], status: () => string) {
  let acked = 0;
  const total = messages.reduce((n, m) => n + m.length, 0);
  const stop = progress(() => `published ${acked} of ${total} messages (acknowledged); ${status()}`);
  try {
    await Promise.all(
      messages.map(async (list, gw) => {
        const c = await mqtt.connectAsync(url, { clientId: `bench-backfill-gw-${gw}-${process.pid}` });
        const inflight = new Set<Promise<unknown>>();
        for (const m of list) {
          const p = c.publishAsync(m.topic, m.payload, { qos: 1 }).then(() => acked++);
          inflight.add(p);
          void p.finally(() => inflight.delete(p));
          if (inflight.size >= WINDOW) await Promise.race(inflight);
        }
        await Promise.all(inflight);
        await c.endAsync();
      }),
    );
  } finally {
    stop();
  }
}

async function run(
  influx: TestInflux,
  registryDir: string,
  messages: { topic: string; payload: string }[][],
  readings: number,
  brokerUrl: string | undefined,
  pids: Record<string, number | undefined>,
) {
  const target = await influx.database();
  const { svc, mqttUrl, stop } = await serveProcess(target, registryDir, brokerUrl);
  try {
    const rss = sampleRss(svc.pid, 200);
    const idleRssMb = rss.currentMb();
    const cpu = cpuMeter({ ...pids, service: svc.pid });
    const started = performance.now();
    const rssNow = () => `service RSS ${rss.currentMb()} MB`;
    await publishBacklog(mqttUrl, messages, rssNow);
    const publishedS = (performance.now() - started) / 1000;
    let storedS = NaN;
    const done = await waitStoredAndRolledUp(
      target,
      svc.httpUrl,
      readings,
      300_000,
      () => {
        storedS = (performance.now() - started) / 1000;
      },
      rssNow,
    );
    const rolledUpS = (performance.now() - started) / 1000;
    const memory = rss.stop();
    const cpuUse = cpu(readings);
    const metrics = await scrapeMetrics(svc.httpUrl);
    const accepted = metricValue(metrics, 'kzm_ingest_readings_accepted_total');
    if (!done.caughtUp)
      throw new Error(
        `backfill: ${done.stored} of ${readings} stored, ${done.hours} in hour and ${done.days} in day rollups`,
      );
    return {
      publishedS: +publishedS.toFixed(2),
      storedS: +storedS.toFixed(2),
      rolledUpS: +rolledUpS.toFixed(2),
      storedReadingsPerS: Math.round(readings / storedS),
      rolledUpReadingsPerS: Math.round(readings / rolledUpS),
      stored: done.stored,
      inHourRollups: done.hours,
      inDayRollups: done.days,
      accepted,
      rejected: metricValue(metrics, 'kzm_ingest_rejected_total'),
      allStoredAndRolledUp: done.caughtUp && accepted === readings,
      idleRssMb,
      peakRssMb: memory.peakRssMb,
      vmHwmMb: memory.vmHwmMb,
      memoryAtEnd: memoryAt(metrics),
      rssLimitMb: LIMIT_RSS_MB,
      rssRatio: +(memory.peakRssMb / LIMIT_RSS_MB).toFixed(3),
      cpu: cpuUse,
    };
  } finally {
    await stop();
  }
}

export async function benchBackfill(
  hours = Number(process.env.BENCH_BACKFILL_HOURS ?? 6),
  batch = Number(process.env.BENCH_BACKFILL_BATCH ?? 60),
) {
  const dir = mkdtempSync(join(tmpdir(), 'kzm-bench-backfill-'));
  const meterIds = writeBenchRegistry(dir, METERS, STEP_MS).map((f) => f.meterId);
  const toMs = Math.floor(Date.now() / STEP_MS) * STEP_MS - STEP_MS;
  const fromMs = toMs - hours * 3_600_000 + STEP_MS;
  const messages = Array.from({ length: GATEWAYS }, (_, gw) => gatewayMessages(meterIds, gw, fromMs, toMs, batch));
  const readings = messages.flat().reduce((n, m) => n + (JSON.parse(m.payload) as unknown[]).length, 0);
  try {
    console.error(`backfill: ${readings} readings in ${messages.flat().length} messages`);
    const brokers = await onBothBrokers('backfill', (influx, url, pids) =>
      run(influx, dir, messages, readings, url, pids),
    );
    const result = {
      meters: METERS,
      gateways: GATEWAYS,
      hours,
      readingsPerMessage: batch,
      readings,
      messages: messages.flat().length,
    };
    for (const [name, x] of [
      ['embedded aedes', brokers.embeddedAedes],
      ['mosquitto', brokers.mosquitto],
    ] as const)
      console.log(
        `backfill ${name}: ${readings} readings of ${METERS} meters stored at ${x.storedReadingsPerS}/s (${x.storedS} s), ` +
          `rolled up at ${x.rolledUpReadingsPerS}/s (${x.rolledUpS} s); peak RSS ${x.peakRssMb} MB = ${x.rssRatio} of ` +
          `${x.rssLimitMb} MB; all stored and rolled up: ${x.allStoredAndRolledUp}; machine busy ${x.cpu.machineBusy}`,
      );
    return { ...result, ...brokers };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
