import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { useInflux } from '../helpers/influx.ts';
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto.ts';
import { eventually } from '../helpers/eventually.ts';
import { queryRows, startService } from '../helpers/service.ts';
import * as cases from './ingest-cases.ts';

describe('ingest from an external broker (Debian mosquitto) into a real InfluxDB 1.6', () => {
  const influx = useInflux();
  let mosq: TestMosquitto;
  beforeAll(async () => {
    mosq = await startMosquitto();
  });
  afterAll(async () => {
    await mosq?.stop();
  });

  let seq = 0;
  async function withService(
    fn: (svc: Awaited<ReturnType<typeof startService>>, target: InfluxTarget) => Promise<void>,
  ) {
    const target = await influx.database();
    const svc = await startService(target, { mqtt: { brokerUrl: mosq.url, clientId: `kzm-test-${++seq}` } });
    try {
      await fn(svc, target);
    } finally {
      await svc.cleanup();
    }
  }

  it('N readings from several meters end as exactly N points with the right tags, times and Wh', () =>
    withService((_svc, t) => cases.publishReadingsAndCheckExactPoints(mosq.url, t)));

  it('stores a batch (array) whole and duplicates of meter+timestamp once', () =>
    withService((_svc, t) => cases.batchStoredWholeAndDuplicatesOnce(mosq.url, t)));

  it('rejects each kind of bad input with its own reason, counts it, and keeps ingesting', () =>
    withService((svc, t) => cases.badInputsRejectedAndStillIngesting(svc, mosq.url, t)));

  it('stores status events, including the last will the broker publishes', () =>
    withService((svc, t) => cases.statusEventsStoredAndLastWill(mosq.url, t, svc)));

  it('keeps a persistent session: readings published while the service is down arrive after it restarts', async () => {
    const target = await influx.database();
    const clientId = `kzm-persist-${Date.now()}`;
    const svc1 = await startService(target, { mqtt: { brokerUrl: mosq.url, clientId } });
    await svc1.cleanup();
    const pub = await mqtt.connectAsync(mosq.url, { clientId: 'test-persist-pub' });
    const readings = cases.readingsFor('ekb-1-m05', 20, 42_000);
    await Promise.all(readings.map((r) => pub.publishAsync('meters/ekb-1-m05/reading', JSON.stringify(r), { qos: 1 })));
    await pub.endAsync();
    const svc2 = await startService(target, { mqtt: { brokerUrl: mosq.url, clientId } });
    try {
      const rows = await eventually(
        () => queryRows(target, `SELECT count(wh) AS n FROM reading WHERE meter = 'ekb-1-m05'`),
        (r) => r[0]?.n === 20,
      );
      expect(rows[0]?.n).toBe(20);
    } finally {
      await svc2.cleanup();
    }
  });
});
