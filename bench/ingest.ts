import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { loadRegistry } from '../src/registry/load.ts';
import type { Service } from '../src/service.ts';
import { startInflux } from '../test/helpers/influx.ts';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { DEVICES_DIR, eventually, queryRows, startService } from '../test/helpers/service.ts';
import { publishReadings, rssMb } from './lib.ts';

/**
 * (a) raw limit: a plain mqtt.js subscriber receiving QoS 1 readings from the broker;
 * (b) the service end to end: readings published until all are queryable in InfluxDB.
 * Both against the embedded aedes broker and against Debian's mosquitto, in one run on loopback.
 */
const T0 = Date.UTC(2025, 6, 1);

async function rawSubscriberRate(url: string, n: number, meters: string[]): Promise<number> {
  const sub = await mqtt.connectAsync(url, { clientId: `bench-raw-sub-${process.pid}`, clean: true });
  await sub.subscribeAsync('meters/#', { qos: 1 });
  let got = 0;
  let started = 0;
  const done = new Promise<number>((resolve) => {
    sub.on('message', () => {
      if (got++ === 0) started = performance.now();
      if (got === n) resolve((performance.now() - started) / 1000);
    });
  });
  const pubS = await publishReadings(url, { meters, total: n, connections: 4, window: 500, t0Ms: T0 });
  const s = await done;
  await sub.endAsync();
  return n / Math.max(s, pubS);
}

/** Readings per second until all are queryable, and until all are in the hour/day rollups too. */
async function serviceRate(
  svc: Service,
  brokerUrl: string,
  n: number,
  meters: string[],
): Promise<{ stored: number; rolledUp: number }> {
  const started = performance.now();
  await publishReadings(brokerUrl, { meters, total: n, connections: 4, window: 500, t0Ms: T0 });
  await eventually(
    async () => ((await queryRows(svc.influx, 'SELECT count(wh) AS n FROM reading'))[0]?.n as number) ?? 0,
    (c) => c >= n,
    120_000,
  );
  const stored = n / ((performance.now() - started) / 1000);
  if (!(await svc.rollups.flush(120_000))) throw new Error('rollups did not catch up within 120 s');
  const rolled = (await queryRows(svc.influx, 'SELECT sum("count") AS n FROM "reading_1d"'))[0]?.n;
  if (rolled !== n) throw new Error(`day rollups count ${String(rolled)} readings, ${n} were published`);
  return { stored, rolledUp: n / ((performance.now() - started) / 1000) };
}

const rates = (raw: number, svc: { stored: number; rolledUp: number }) => ({
  rawMsgsPerS: Math.round(raw),
  serviceMsgsPerS: Math.round(svc.stored),
  ratio: +(svc.stored / raw).toFixed(3),
  withRollupsMsgsPerS: Math.round(svc.rolledUp),
  withRollupsRatio: +(svc.rolledUp / raw).toFixed(3),
});

export async function benchIngest(n = 100_000) {
  const registry = loadRegistry(DEVICES_DIR);
  const meters = registry.meters.filter((m) => m.commissionedMs <= T0).map((m) => m.id);
  const influx = await startInflux();
  const mosq = await startMosquitto();
  const results: Record<string, unknown> = { readings: n, meters: meters.length };
  try {
    // embedded: raw aedes (no hooks) vs the service's aedes with ingest in authorizePublish
    const aedes = await Aedes.createBroker();
    const srv = createServer(aedes.handle);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const aedesUrl = `mqtt://127.0.0.1:${(srv.address() as { port: number }).port}`;
    const rawAedes = await rawSubscriberRate(aedesUrl, n, meters);
    await new Promise<void>((r) => aedes.close(() => r()));
    srv.close();
    const svcE = await startService(await influx.database(), {}, registry);
    const svcAedes = await serviceRate(svcE, svcE.brokerUrl, n, meters);
    await svcE.cleanup();
    // external mosquitto: raw subscriber vs the service subscribed with acks after write
    const rawMosq = await rawSubscriberRate(mosq.url, n, meters);
    const svcM = await startService(
      await influx.database(),
      { mqtt: { brokerUrl: mosq.url, clientId: 'bench-ingest' } },
      registry,
    );
    const svcMosq = await serviceRate(svcM, mosq.url, n, meters);
    await svcM.cleanup();
    Object.assign(results, {
      embeddedAedes: rates(rawAedes, svcAedes),
      mosquitto: rates(rawMosq, svcMosq),
      peakRssMb: rssMb(),
    });
  } finally {
    await Promise.all([influx.stop(), mosq.stop()]);
  }
  return results;
}
