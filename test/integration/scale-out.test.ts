/**
 * Several `kzmeter serve` processes on one Debian mosquitto, sharing `$share/<group>/meters/#`: a known
 * stream is published, one ingester is killed (SIGKILL) mid-stream and started again, and the store ends
 * with every reading once, rollups that count each once, and the same ledger as the raw readings give.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTariffs, type TariffSet } from '../../src/fees/index.ts';
import type { LedgerReport } from '../../src/ledger/report.ts';
import { resolveLedgerRequest } from '../../src/ledger/request.ts';
import { computeRawLedger } from '../../src/ledger/store-ledger.ts';
import { DEFAULT_POLICY } from '../../src/fees/index.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { useInflux } from '../helpers/influx.ts';
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto.ts';
import { spawnService, type ServiceProcess } from '../helpers/service-process.ts';
import { eventually } from '../helpers/eventually.ts';
import { queryRows } from '../helpers/service.ts';
import { METERS, T0 } from './ingest-cases.ts';

const PER_METER = 900; // 15 hours of 1-minute readings per meter
const SETTLE_MS = 1500;
const REPO_DIR = join(import.meta.dirname, '../..');
const registry = loadRegistry(join(REPO_DIR, 'devices'));

describe('several ingesters on one shared subscription (Debian mosquitto)', () => {
  const influx = useInflux();
  let mosq: TestMosquitto;
  let tariffs: TariffSet;
  const dirs: string[] = [];
  beforeAll(async () => {
    mosq = await startMosquitto();
    const t = await loadTariffs(join(REPO_DIR, 'tariffs'));
    if (!t.ok) throw new Error(t.reason);
    tariffs = t.value;
  });
  afterAll(async () => {
    await mosq?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function ingester(target: InfluxTarget, group: string, name: string, dataDir: string): Promise<ServiceProcess> {
    return spawnService({
      KZM_MQTT_BROKER_URL: mosq.url,
      KZM_MQTT_SHARED_GROUP: group,
      KZM_MQTT_CLIENT_ID: name,
      KZM_INFLUX_URL: influx.url,
      KZM_INFLUX_DATABASE: target.database,
      KZM_HTTP_PORT: '0',
      KZM_DATA_DIR: dataDir,
      KZM_REGISTRY_DIR: join(REPO_DIR, 'devices'),
      KZM_TARIFFS_DIR: join(REPO_DIR, 'tariffs'),
      KZM_ROLLUP_SETTLE_MS: String(SETTLE_MS),
    });
  }

  async function pendingHours(p: ServiceProcess): Promise<number> {
    const text = await (await fetch(`${p.httpUrl}/metrics`)).text();
    const m = /^kzm_rollup_pending\w* (\d+)/m.exec(text);
    return m ? Number(m[1]) : NaN;
  }

  /**
   * Every ingester has rolled up what it was told of, and the day buckets count every reading once: an hour
   * rolled up before another ingester's readings of it were stored is right only after its settle pass
   * (SETTLE_MS after its last write), so this waits for the sum, not for a time.
   */
  async function rolledUp(ps: ServiceProcess[], target: InfluxTarget, total: number): Promise<void> {
    await eventually(
      async () => (await Promise.all(ps.map(pendingHours))).every((n) => n === 0),
      Boolean,
      30_000,
      'no meter-hour pending on any ingester',
    );
    await eventually(
      async () => (await queryRows(target, 'SELECT sum("count") AS n FROM reading_1d'))[0]?.n,
      (n) => n === total,
      30_000,
      `reading_1d to count each of the ${total} readings once (after the settle passes)`,
    );
  }

  it.each([2, 3])(
    '%i ingesters, one killed mid-stream: every reading once, rollups and ledger as one',
    async (n) => {
      const target = await influx.database();
      // A group of its own: persistent sessions of a group's past members keep receiving their share of
      // messages until they come back (docs/deploy.md), so cases must not share one.
      const group = `ingest-${n}`;
      const names = Array.from({ length: n }, (_, i) => `kzm-share-${n}-${i}`);
      const dataDirs = names.map(() => mkdtempSync(join(tmpdir(), 'kzm-share-')));
      dirs.push(...dataDirs);
      const ps = await Promise.all(names.map((name, i) => ingester(target, group, name, dataDirs[i]!)));
      const clients = await Promise.all(
        METERS.map((id) => mqtt.connectAsync(mosq.url, { clientId: `pub-${n}-${id}`, clean: true })),
      );
      try {
        let killed = false;
        for (let i = 0; i < PER_METER; i++) {
          if (!killed && i === Math.floor(PER_METER / 3)) {
            await ps[0]!.kill('SIGKILL'); // mid-stream: its unacknowledged messages stay with the broker
            killed = true;
          }
          await Promise.all(
            clients.map((c, k) =>
              c.publishAsync(
                `meters/${METERS[k]}/reading`,
                JSON.stringify({ ts: T0 + i * 60_000, kwh: (1_000_000 * (k + 1) + i * 1234) / 1000, kw: 74.04 }),
                { qos: 1 },
              ),
            ),
          );
        }
        ps[0] = await ingester(target, group, names[0]!, dataDirs[0]!); // restarted, same session and disk
        const total = PER_METER * METERS.length;
        const count = async () =>
          ((await queryRows(target, 'SELECT count(wh) AS n FROM reading'))[0]?.n as number | undefined) ?? 0;
        const stored = await eventually(count, (c) => c === total, 60_000).catch(async (err: unknown) => {
          const per = await queryRows(target, 'SELECT count(wh) AS n FROM reading GROUP BY meter');
          console.error({
            per,
            logs: ps.map((p) =>
              p
                .logTail()
                .split('\n')
                .filter((l) => /warn|error|Readings stored/i.test(l))
                .slice(-8),
            ),
          });
          throw err;
        });
        expect(stored).toBe(total);
        await rolledUp(ps, target, total);
        // Rollups: each reading counted once in the day buckets.
        const days = await queryRows(target, 'SELECT sum("count") AS n FROM reading_1d');
        expect(days[0]?.n).toBe(total);
        // The ledger the ingesters answer equals the raw-reading ledger of a single reader.
        const query = { from: '2025-07-01', to: '2025-07-02' };
        const res = await fetch(`${ps[1]!.httpUrl}/api/ledger?${new URLSearchParams(query)}`);
        expect(res.status).toBe(200);
        const report = (await res.json()) as LedgerReport;
        const resolved = resolveLedgerRequest(registry, query, Date.now(), DEFAULT_POLICY);
        if (!resolved.ok) throw new Error(resolved.reason);
        const raw = await computeRawLedger({ target, meters: resolved.value.meters, tariffs, policy: DEFAULT_POLICY });
        const key = (l: {
          meterId: string;
          fromMs: number;
          toMs: number;
          basis: string;
          energyWh: number;
          feeMilliTiyn: number;
        }) => `${l.meterId} ${l.fromMs} ${l.toMs} ${l.basis} ${l.energyWh} ${l.feeMilliTiyn}`;
        expect(report.lines.map(key)).toEqual(raw.meters.flatMap((m) => m.ledger.lines).map(key));
      } finally {
        await Promise.all(clients.map((c) => c.endAsync()));
        await Promise.all(ps.map((p) => p.kill('SIGTERM')));
      }
    },
    180_000,
  );
});
