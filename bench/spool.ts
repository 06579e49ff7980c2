import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { loadRegistry } from '../src/registry/load.ts';
import { freePort } from '../src/util/free-port.ts';
import { startInflux, type TestInflux } from '../test/helpers/influx.ts';
import { DEVICES_DIR, eventually, queryRows } from '../test/helpers/service.ts';
import { spawnService } from '../test/helpers/service-process.ts';
import { publishReadings } from './lib.ts';

/**
 * The spool's cost: the service (its own process, embedded broker) with `ingest.spool` off and on.
 *  - throughput: n QoS 1 readings from 4 connections (500 unacknowledged each), until every PUBACK and
 *    until all are queryable in InfluxDB;
 *  - ack latency: one connection, one message at a time (p50 / p99 of publish -> PUBACK);
 *  - peak RSS (VmHWM) of the service process over the run.
 */
const T0 = Date.UTC(2025, 6, 1);

async function ackLatencies(
  url: string,
  meter: string,
  n: number,
  t0Ms: number,
): Promise<{ p50: number; p99: number }> {
  const c = await mqtt.connectAsync(url, { clientId: `bench-lat-${process.pid}` });
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await c.publishAsync(
      `meters/${meter}/reading`,
      JSON.stringify({ ts: t0Ms + i * 1000, kwh: (2_000_000 + i) / 1000 }),
      {
        qos: 1,
      },
    );
    ms.push(performance.now() - started);
  }
  await c.endAsync();
  ms.sort((a, b) => a - b);
  const q = (p: number) => +ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!.toFixed(2);
  return { p50: q(0.5), p99: q(0.99) };
}

async function run(influx: TestInflux, spool: boolean, n: number, meters: string[]) {
  const target = await influx.database();
  const dataDir = mkdtempSync(join(tmpdir(), 'kzm-bench-spool-'));
  const port = await freePort();
  const svc = await spawnService({
    KZM_HTTP_PORT: String(await freePort()),
    KZM_MQTT_EMBEDDED_PORT: String(port),
    KZM_INFLUX_URL: target.url,
    KZM_INFLUX_DATABASE: target.database,
    KZM_DATA_DIR: dataDir,
    KZM_INGEST_SPOOL_ENABLED: String(spool),
  });
  const url = `mqtt://127.0.0.1:${port}`;
  try {
    const latency = await ackLatencies(url, meters[0]!, 500, T0 - 86_400_000);
    const started = performance.now();
    const ackS = await publishReadings(url, { meters, total: n, connections: 4, window: 500, t0Ms: T0 });
    await eventually(
      async () => ((await queryRows(target, 'SELECT count(wh) AS n FROM reading'))[0]?.n as number) ?? 0,
      (c) => c >= n + 500,
      120_000,
    );
    const storedS = (performance.now() - started) / 1000;
    return {
      ackedMsgsPerS: Math.round(n / ackS),
      storedMsgsPerS: Math.round(n / storedS),
      ackLatencyMs: latency,
      peakRssMb: Math.round(svc.peakRssBytes() / 1048576),
    };
  } finally {
    await svc.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchSpool(n = 100_000) {
  const registry = loadRegistry(DEVICES_DIR);
  const meters = registry.meters.filter((m) => m.commissionedMs <= T0 - 86_400_000).map((m) => m.id);
  const influx = await startInflux();
  try {
    const off = await run(influx, false, n, meters);
    const on = await run(influx, true, n, meters);
    return {
      readings: n,
      spoolOff: off,
      spoolOn: on,
      ackedRatio: +(on.ackedMsgsPerS / off.ackedMsgsPerS).toFixed(3),
      storedRatio: +(on.storedMsgsPerS / off.storedMsgsPerS).toFixed(3),
    };
  } finally {
    await influx.stop();
  }
}
