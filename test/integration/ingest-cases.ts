import { expect } from 'vitest';
import type { Service } from '../../src/service.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { connectMeter, publishAll } from '../helpers/mqtt.ts';
import { eventually } from '../helpers/eventually.ts';
import { queryRows } from '../helpers/service.ts';

/** Shared by the embedded-aedes and external-mosquitto suites: the same contract over either broker. */
export const METERS = ['ekb-1-m01', 'ekb-1-m02', 'kpg-2-m01', 'ast-3-m02'];
export const T0 = Date.UTC(2025, 6, 1, 0, 0, 0); // 2025-07-01T00:00Z, after every example meter's commissioning

export function readingsFor(meterId: string, n: number, offsetWh: number) {
  return Array.from({ length: n }, (_, i) => ({ ts: T0 + i * 60_000, kwh: (offsetWh + i * 1234) / 1000, kw: 74.04 }));
}

async function pointCount(target: InfluxTarget): Promise<number> {
  const r = await queryRows(target, 'SELECT count(wh) AS n FROM reading');
  return (r[0]?.n as number | undefined) ?? 0;
}

export async function publishReadingsAndCheckExactPoints(brokerUrl: string, target: InfluxTarget): Promise<void> {
  const perMeter = 50;
  await Promise.all(
    METERS.map(async (meterId, k) => {
      const c = await connectMeter(brokerUrl, meterId);
      await publishAll(
        c,
        readingsFor(meterId, perMeter, 1_000_000 * (k + 1)).map((r) => ({
          topic: `meters/${meterId}/reading`,
          payload: JSON.stringify(r),
        })),
      );
      await c.endAsync();
    }),
  );
  const total = await eventually(
    () => pointCount(target),
    (n) => n >= METERS.length * perMeter,
  );
  expect(total).toBe(METERS.length * perMeter);
  const rows = await queryRows(
    target,
    `SELECT wh, kw, fault, site FROM reading WHERE meter = 'kpg-2-m01' ORDER BY time ASC`,
  );
  expect(rows).toHaveLength(perMeter);
  expect(rows[0]).toMatchObject({ time: T0, wh: 3_000_000, kw: 74.04, fault: 0, site: 'kpg-2' });
  expect(rows[49]).toMatchObject({ time: T0 + 49 * 60_000, wh: 3_000_000 + 49 * 1234 });
}

export async function batchStoredWholeAndDuplicatesOnce(brokerUrl: string, target: InfluxTarget): Promise<void> {
  const meterId = 'ekb-1-m02';
  const batch = readingsFor(meterId, 30, 500_000).map((r, i) =>
    i % 2 ? { ...r, ts: new Date(r.ts).toISOString() } : r,
  );
  const c = await connectMeter(brokerUrl, meterId);
  // the whole batch, then the same batch again and one reading three times: duplicates of (meter, ts)
  await publishAll(c, [
    { topic: `meters/${meterId}/reading`, payload: JSON.stringify(batch) },
    { topic: `meters/${meterId}/reading`, payload: JSON.stringify(batch) },
    { topic: `meters/${meterId}/reading`, payload: JSON.stringify(batch[3]) },
  ]);
  await c.endAsync();
  const n = await eventually(
    async () => (await queryRows(target, `SELECT count(wh) AS n FROM reading WHERE meter = '${meterId}'`))[0]?.n,
    (v) => v === 30,
  );
  expect(n).toBe(30);
  const rows = await queryRows(target, `SELECT wh FROM reading WHERE meter = '${meterId}' ORDER BY time ASC`);
  expect(rows.map((r) => r.wh)).toEqual(batch.map((_, i) => 500_000 + i * 1234));
}

async function metricValue(svc: Service, name: string, labels: string): Promise<number> {
  const text = await svc.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

export const BAD_INPUTS: { name: string; topic: string; payload: string | Buffer; reason: string }[] = [
  { name: 'non-JSON', topic: 'meters/ekb-1-m03/reading', payload: '{kwh: 12', reason: 'invalid-json' },
  {
    name: 'wrong types',
    topic: 'meters/ekb-1-m03/reading',
    payload: '{"ts":"yesterday","kwh":"12"}',
    reason: 'schema',
  },
  {
    name: 'negative kwh',
    topic: 'meters/ekb-1-m03/reading',
    payload: JSON.stringify({ ts: T0, kwh: -1 }),
    reason: 'schema',
  },
  { name: 'NaN kwh', topic: 'meters/ekb-1-m03/reading', payload: `{"ts":${T0},"kwh":NaN}`, reason: 'invalid-json' },
  { name: 'missing ts', topic: 'meters/ekb-1-m03/reading', payload: '{"kwh":12.5}', reason: 'schema' },
  {
    name: 'far future',
    topic: 'meters/ekb-1-m03/reading',
    payload: JSON.stringify({ ts: Date.now() + 86_400_000, kwh: 1 }),
    reason: 'future-timestamp',
  },
  {
    name: 'before commissioning',
    topic: 'meters/ekb-1-m07/reading',
    payload: JSON.stringify({ ts: '2024-01-01T00:00:00+05:00', kwh: 1 }),
    reason: 'before-commissioning',
  },
  {
    name: 'unknown meter',
    topic: 'meters/no-such-meter/reading',
    payload: JSON.stringify({ ts: T0, kwh: 1 }),
    reason: 'unknown-meter',
  },
  {
    name: 'oversized',
    topic: 'meters/ekb-1-m03/reading',
    payload: Buffer.alloc(300 * 1024, 0x20),
    reason: 'oversized',
  },
  { name: 'bad status', topic: 'meters/ekb-1-m03/status', payload: 'sleeping', reason: 'invalid-status' },
];

export async function badInputsRejectedAndStillIngesting(
  svc: Service,
  brokerUrl: string,
  target: InfluxTarget,
): Promise<void> {
  const before = new Map<string, number>();
  for (const b of BAD_INPUTS)
    before.set(b.reason, await metricValue(svc, 'kzm_ingest_rejected_total', `reason="${b.reason}"`));
  const c = await connectMeter(brokerUrl, 'ekb-1-m03');
  for (const b of BAD_INPUTS) await c.publishAsync(b.topic, b.payload, { qos: 1 });
  // a batch with one bad element keeps its good neighbours
  await c.publishAsync(
    'meters/ekb-1-m03/reading',
    JSON.stringify([
      { ts: T0, kwh: 10 },
      { ts: T0 + 60_000, kwh: -5 },
      { ts: T0 + 120_000, kwh: 10.5 },
    ]),
    { qos: 1 },
  );
  await c.endAsync();
  const expected = new Map<string, number>();
  for (const b of BAD_INPUTS) expected.set(b.reason, (expected.get(b.reason) ?? before.get(b.reason)!) + 1);
  expected.set('schema', expected.get('schema')! + 1);
  for (const [reason, n] of expected) {
    const got = await eventually(
      () => metricValue(svc, 'kzm_ingest_rejected_total', `reason="${reason}"`),
      (v) => v >= n,
    );
    expect(got, `rejected{reason="${reason}"}`).toBe(n);
  }
  const stored = await eventually(
    () => queryRows(target, `SELECT reason, detail, payload FROM rejected WHERE reason = 'unknown-meter'`),
    (r) => r.length > 0,
  );
  expect(String(stored[0]?.detail)).toContain('no-such-meter');
  const oversized = await eventually(
    () => queryRows(target, `SELECT bytes, payload FROM rejected WHERE reason = 'oversized'`),
    (r) => r.length > 0,
  );
  expect(oversized[0]?.bytes).toBe(300 * 1024);
  expect(String(oversized[0]?.payload).length).toBeLessThanOrEqual(1025);
  const good = await eventually(
    () => queryRows(target, `SELECT wh FROM reading WHERE meter = 'ekb-1-m03' ORDER BY time ASC`),
    (r) => r.length === 2,
  );
  expect(good.map((r) => r.wh)).toEqual([10_000, 10_500]);
  // still ingesting afterwards
  const c2 = await connectMeter(brokerUrl, 'ekb-1-m04');
  await c2.publishAsync('meters/ekb-1-m04/reading', JSON.stringify({ ts: T0 + 5 * 60_000, kwh: 77.7 }), { qos: 1 });
  await c2.endAsync();
  const after = await eventually(
    () => queryRows(target, `SELECT wh FROM reading WHERE meter = 'ekb-1-m04'`),
    (r) => r.length === 1,
  );
  expect(after[0]?.wh).toBe(77_700);
}

export async function statusEventsStoredAndLastWill(
  brokerUrl: string,
  target: InfluxTarget,
  svc: Service,
): Promise<void> {
  const meterId = 'ast-3-m01';
  const c = await connectMeter(brokerUrl, meterId);
  await c.publishAsync(`meters/${meterId}/status`, 'online', { qos: 1, retain: true });
  await c.publishAsync(`meters/${meterId}/reading`, JSON.stringify({ ts: Date.now(), kwh: 5 }), { qos: 1 });
  c.stream.destroy(); // no DISCONNECT: the broker publishes the last will
  const rows = await eventually(
    () => queryRows(target, `SELECT state FROM meter_status WHERE meter = '${meterId}' ORDER BY time ASC`),
    (r) => r.length >= 2,
  );
  expect(rows.map((r) => r.state)).toEqual(['online', 'offline']);
  const res = await fetch(`${svc.httpUrl}/api/meters`);
  const body = (await res.json()) as { meters: { id: string; status: string; lastReadingAt: string | null }[] };
  const m = body.meters.find((x) => x.id === meterId);
  expect(m?.status).toBe('offline');
  expect(m?.lastReadingAt).not.toBeNull();
  c.end(true);
}
