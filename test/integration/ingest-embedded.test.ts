import { describe, expect, it } from 'vitest';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { useInflux } from '../helpers/influx.ts';
import { startService } from '../helpers/service.ts';
import * as cases from './ingest-cases.ts';

describe('ingest through the embedded aedes broker into a real InfluxDB 1.6', () => {
  const influx = useInflux();

  async function withService(
    fn: (svc: Awaited<ReturnType<typeof startService>>, target: InfluxTarget) => Promise<void>,
  ) {
    const target = await influx.database();
    const svc = await startService(target);
    try {
      await fn(svc, target);
    } finally {
      await svc.cleanup();
    }
  }

  it('N readings from several meters end as exactly N points with the right tags, times and Wh', () =>
    withService((svc, t) => cases.publishReadingsAndCheckExactPoints(svc.brokerUrl, t)));

  it('stores a batch (array) whole and duplicates of meter+timestamp once', () =>
    withService((svc, t) => cases.batchStoredWholeAndDuplicatesOnce(svc.brokerUrl, t)));

  it('rejects each kind of bad input with its own reason, counts it, stores it, and keeps ingesting', () =>
    withService((svc, t) => cases.badInputsRejectedAndStillIngesting(svc, svc.brokerUrl, t)));

  it('stores status events, including the last will published when a meter drops', () =>
    withService((svc, t) => cases.statusEventsStoredAndLastWill(svc.brokerUrl, t, svc)));

  it('/health reports broker, InfluxDB and ingest state; /metrics is Prometheus text', () =>
    withService(async (svc) => {
      const health = (await (await fetch(`${svc.httpUrl}/health`)).json()) as Record<string, Record<string, unknown>>;
      expect(health.status).toBe('ok');
      expect(health.broker).toMatchObject({ mode: 'embedded', connected: true });
      expect(health.influx).toMatchObject({ reachable: true, apiVersion: '1' });
      expect(health.ingest).toMatchObject({ pendingLines: 0, consecutiveWriteFailures: 0 });
      const metrics = await (await fetch(`${svc.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(/^# TYPE kzm_ingest_rejected_total counter$/m);
      expect(metrics).toMatch(/^# TYPE kzm_ingest_readings_accepted_total counter$/m);
    }));
});
