/**
 * Drills (issue 12): the service is SIGKILLed mid-stream and started again on the same ports and disk, while
 * meters keep publishing QoS 1 readings. Every reading acknowledged to a meter must be in InfluxDB at the end,
 * and the service's memory must stay bounded. Figures are printed as one JSON line per drill.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { freePort } from '../../src/util/free-port.ts';
import { useInflux } from '../helpers/influx.ts';
import { eventually } from '../helpers/eventually.ts';
import { holdFor } from '../helpers/hold-for.ts';
import { queryRows } from '../helpers/service.ts';
import { startMeterLoad, storedKeys, tally } from '../helpers/meter-load.ts';
import { readmeMosquittoSnippet } from '../helpers/readme-snippet.ts';
import { startMosquittoWith, type TestMosquitto } from '../helpers/mosquitto.ts';
import { spawnService, type ServiceProcess } from '../helpers/service-process.ts';

const METERS = ['ekb-1-m01', 'ekb-1-m02', 'kpg-2-m01', 'kpg-2-m02'];
const RATE_PER_S = 1200;
const RSS_BOUND = 300 * 1024 * 1024;

const influx = useInflux();

interface Drill {
  readonly name: string;
  readonly env: Record<string, string>;
  /** Where the meters publish. */
  readonly meterBrokerUrl: string;
}

async function killDrill(target: InfluxTarget, d: Drill) {
  const dataDir = mkdtempSync(join(tmpdir(), 'kzm-drill-'));
  const env = {
    KZM_HTTP_PORT: String(await freePort()),
    KZM_INFLUX_URL: target.url,
    KZM_INFLUX_DATABASE: target.database,
    KZM_DATA_DIR: dataDir,
    ...d.env,
  };
  const procs: ServiceProcess[] = [];
  let load: Awaited<ReturnType<typeof startMeterLoad>> | undefined;
  // Readings in InfluxDB: the service ingests (with Mosquitto, the broker acknowledges whether it does or not).
  const storedCount = async () => Number((await queryRows(target, 'SELECT count(wh) AS n FROM reading'))[0]?.n ?? 0);
  const storedMore = async (n: number, what: string) => {
    const base = await storedCount();
    await eventually(storedCount, (c) => c >= base + n, 60_000, `${n} more readings stored than ${base}: ${what}`);
  };
  try {
    procs.push(await spawnService(env));
    load = await startMeterLoad(d.meterBrokerUrl, METERS, RATE_PER_S);
    await storedMore(RATE_PER_S * 2, 'the stream flows through the first service');
    await procs[0]!.kill('SIGKILL');
    await holdFor(1000, 'the fault: the service dead for 1 s while the meters publish');
    procs.push(await spawnService(env));
    await storedMore(RATE_PER_S * 2, 'the restarted service ingests');
    load.stop();
    // A bound, not a timing: on a loaded 2-core machine the replay after a restart has run at ~50 readings/s.
    const allAcked = await load.allAcked(150_000);
    // Acknowledged before the count (an ack arriving during it would look lost); with the spool,
    // acknowledged means fsynced locally: give the replay time to reach InfluxDB.
    const acked = new Set(load.acked());
    const stored = await eventually(
      () => storedKeys(target, METERS),
      (st) => tally(load!.sent(), acked, st).lost === 0,
      30_000,
      { what: `every acknowledged reading stored (${d.name})`, show: (st) => tally(load!.sent(), acked, st) },
    );
    const figures = {
      drill: d.name,
      ...tally(load.sent(), acked, stored),
      peakRssMB: Math.round(Math.max(...procs.map((p) => p.peakRssBytes())) / 1048576),
    };
    console.log(JSON.stringify(figures));
    expect(allAcked, procs.at(-1)!.logTail()).toBe(true);
    expect(figures.lost).toBe(0);
    expect(figures.stored).toBe(figures.sent);
    expect(figures.sent).toBeGreaterThan(RATE_PER_S * 3);
    expect(Math.max(...procs.map((p) => p.peakRssBytes()))).toBeLessThan(RSS_BOUND);
  } finally {
    await load?.end();
    for (const p of procs) await p.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('drill: SIGKILL the service mid-stream', () => {
  it('embedded broker: every acknowledged reading is stored', async () => {
    const port = String(await freePort());
    await killDrill(await influx.database(), {
      name: 'service SIGKILL, embedded broker',
      env: { KZM_MQTT_EMBEDDED_PORT: port },
      meterBrokerUrl: `mqtt://127.0.0.1:${port}`,
    });
  }, 300_000);

  it('embedded broker with the spool on: every acknowledged reading is stored', async () => {
    const port = String(await freePort());
    await killDrill(await influx.database(), {
      name: 'service SIGKILL, embedded broker, spool on',
      env: { KZM_MQTT_EMBEDDED_PORT: port, KZM_INGEST_SPOOL_ENABLED: 'true' },
      meterBrokerUrl: `mqtt://127.0.0.1:${port}`,
    });
  }, 300_000);

  describe('Mosquitto configured with exactly the README snippet', () => {
    let mosquitto: TestMosquitto;
    beforeAll(async () => {
      const snippet = readmeMosquittoSnippet();
      mosquitto = await startMosquittoWith((dir) => snippet.replace('/var/lib/mosquitto/', `${dir}/`));
    }, 30_000);
    afterAll(async () => {
      await mosquitto?.stop();
    });

    it('every reading Mosquitto acknowledged is stored, the service down or not', async () => {
      await killDrill(await influx.database(), {
        name: 'service SIGKILL, Mosquitto (README snippet)',
        env: { KZM_MQTT_BROKER_URL: mosquitto.url, KZM_MQTT_CLIENT_ID: 'kzmeter-drill' },
        meterBrokerUrl: mosquitto.url,
      });
    }, 300_000);
  });
});
