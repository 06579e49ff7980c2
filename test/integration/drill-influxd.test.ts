/**
 * Drills (issue 12): InfluxDB killed (SIGKILL, then started again on the same port and data) or hung (SIGSTOP,
 * then SIGCONT) under a steady stream of QoS 1 readings, and the spool filled during an outage. The service
 * runs as its own process with the embedded broker. Every acknowledged reading must be stored at the end,
 * memory stays bounded; figures are printed as one JSON line per drill.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { influxTarget, type InfluxTarget } from '../../src/store/influx-target.ts';
import { createLocalInflux, type LocalInflux } from '../../src/store/local-influxd.ts';
import { freePort } from '../../src/util/free-port.ts';
import { startMeterLoad, storedKeys, tally, type MeterLoad } from '../helpers/meter-load.ts';
import { eventually, steady } from '../helpers/eventually.ts';
import { holdFor } from '../helpers/hold-for.ts';
import { spawnService, type ServiceProcess } from '../helpers/service-process.ts';

const METERS = ['ekb-1-m03', 'ekb-1-m04', 'kpg-2-m03'];
const RATE_PER_S = 1000;
const RSS_BOUND = 300 * 1024 * 1024;

type Health = Record<string, unknown> & {
  status?: string;
  ingest?: { writeFailing?: unknown; recoveredFrom?: unknown; lastWriteError?: unknown };
  spool?: { full: boolean };
};

interface Rig {
  readonly target: InfluxTarget;
  influxd: LocalInflux;
  svc: ServiceProcess;
  /** Start the service again with the same configuration and disk (after it stopped). */
  restartService(): Promise<void>;
  readonly load: MeterLoad;
  /** Start influxd again on the same port and data (after a kill). */
  restartInflux(): Promise<void>;
  health(): Promise<Health>;
  /** The drill's end: every acknowledged reading stored, memory bounded; then cleanup(). */
  finish(name: string): Promise<void>;
  /** Stop everything the rig started (once; also after a drill that failed before finish). */
  cleanup(): Promise<void>;
}

/** Rigs not yet cleaned up: a drill that fails before finish() must not leave its service and influxd running. */
const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.cleanup();
});

async function rig(env: Record<string, string> = {}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'kzm-drill-influx-'));
  const port = await freePort();
  let influxd = createLocalInflux({ dataDir: join(dir, 'influxdb'), port });
  await influxd.start();
  const target = influxTarget(
    loadConfig({ env: {}, overrides: { influx: { database: 'drill' } } }).influx,
    influxd.url,
  );
  const mqttPort = String(await freePort());
  const svcEnv = {
    KZM_HTTP_PORT: String(await freePort()),
    KZM_MQTT_EMBEDDED_PORT: mqttPort,
    KZM_INFLUX_URL: influxd.url,
    KZM_INFLUX_DATABASE: 'drill',
    KZM_DATA_DIR: join(dir, 'service'),
    ...env,
  };
  const svc = await spawnService(svcEnv);
  const peaks: number[] = [];
  const load = await startMeterLoad(`mqtt://127.0.0.1:${mqttPort}`, METERS, RATE_PER_S);
  let cleaned = false;
  const r: Rig = {
    target,
    influxd,
    svc,
    load,
    async restartService() {
      peaks.push(r.svc.peakRssBytes());
      r.svc = await spawnService(svcEnv);
    },
    async restartInflux() {
      influxd = createLocalInflux({ dataDir: join(dir, 'influxdb'), port });
      r.influxd = influxd;
      await influxd.start();
    },
    async health() {
      return (await (await fetch(`${r.svc.httpUrl}/health`)).json()) as Health;
    },
    async finish(name) {
      try {
        load.stop();
        // A bound, not a timing: on a loaded 2-core machine the replay after a restart has run at ~50 readings/s.
        const allAcked = await load.allAcked(150_000);
        // Acknowledged before the count (an ack arriving during it would look lost); with the spool,
        // acknowledged means fsynced locally: give the replay time to reach InfluxDB.
        const acked = new Set(load.acked());
        const stored = await eventually(
          () => storedKeys(target, METERS),
          (st) => tally(load.sent(), acked, st).lost === 0,
          30_000,
          { what: `every acknowledged reading stored (${name})`, show: (st) => tally(load.sent(), acked, st) },
        );
        const figures = {
          drill: name,
          ...tally(load.sent(), acked, stored),
          peakRssMB: Math.round(Math.max(r.svc.peakRssBytes(), ...peaks) / 1048576),
        };
        console.log(JSON.stringify(figures));
        expect(allAcked, r.svc.logTail()).toBe(true);
        expect(figures.lost).toBe(0);
        expect(figures.stored).toBe(figures.sent);
        expect(Math.max(r.svc.peakRssBytes(), ...peaks)).toBeLessThan(RSS_BOUND);
      } finally {
        await r.cleanup();
      }
    },
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      await load.end();
      await r.svc.kill('SIGTERM');
      const pid = influxd.pid;
      if (pid) process.kill(pid, 'SIGCONT'); // a drill that failed while influxd was SIGSTOPped
      await influxd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  rigs.push(r);
  return r;
}

describe('drill: InfluxDB killed or hung mid-stream', () => {
  // Before each fault the stream flows: a second's worth of readings acknowledged (without the spool: stored).
  it('influxd SIGKILLed and started again: nothing acknowledged is lost, writes resume', async () => {
    const r = await rig();
    await r.load.ackedMore(RATE_PER_S);
    process.kill(r.influxd.pid!, 'SIGKILL');
    await holdFor(3000, 'the fault: influxd dead for 3 s while the meters publish');
    const during = await eventually(
      () => r.health(),
      (h) => h.status === 'degraded' && /InfluxDB unreachable/.test(JSON.stringify(h)),
      15_000,
      '/health to say degraded, InfluxDB unreachable',
    );
    expect(during.status).toBe('degraded');
    expect(JSON.stringify(during)).toMatch(/InfluxDB unreachable/);
    await r.restartInflux();
    await r.load.ackedMore(RATE_PER_S); // writes resumed: acknowledgements flow again
    await r.finish('influxd SIGKILL 3 s');
    // (health after recovery is checked in the SIGSTOP drill)
  }, 300_000);

  it('influxd hung (SIGSTOP) then resumed: nothing acknowledged is lost, /health tells the truth after', async () => {
    const r = await rig({ KZM_INFLUX_TIMEOUT_MS: '2000' });
    await r.load.ackedMore(RATE_PER_S);
    process.kill(r.influxd.pid!, 'SIGSTOP');
    await holdFor(5000, 'the fault: influxd hung for 5 s while the meters publish');
    const hung = await eventually(
      () => r.health(),
      (h) => h.status === 'degraded',
      15_000,
    );
    expect(hung.status).toBe('degraded');
    process.kill(r.influxd.pid!, 'SIGCONT');
    const after = await eventually(
      () => r.health(),
      (h) => h.ingest?.writeFailing === undefined && h.ingest?.recoveredFrom !== undefined,
      30_000,
      'the writer to recover after SIGCONT (/health: no writeFailing, a recoveredFrom)',
    );
    expect(after.ingest?.writeFailing).toBeUndefined();
    expect(after.ingest?.lastWriteError).toBeUndefined();
    expect(after.ingest?.recoveredFrom).toMatchObject({ cause: 'InfluxDB timed out' });
    await r.finish('influxd SIGSTOP 5 s');
  }, 300_000);

  it('spool on: acknowledgements go on while InfluxDB is down until the spool is full, then wait; all replayed', async () => {
    const r = await rig({ KZM_INGEST_SPOOL_ENABLED: 'true', KZM_INGEST_SPOOL_MAX_BYTES: String(512 * 1024) });
    await r.load.ackedMore(RATE_PER_S);
    process.kill(r.influxd.pid!, 'SIGKILL');
    const ackedAtOutage = r.load.acked().size;
    const full = await eventually(
      () => r.health(),
      (h) => h.spool?.full === true,
      20_000,
      'the spool to fill while influxd is down',
    );
    expect(full.spool?.full).toBe(true);
    expect(r.load.acked().size).toBeGreaterThan(ackedAtOutage); // the spool acknowledged during the outage
    // A write in flight when influxd died may still free room: wait until acknowledgements have stopped.
    await steady(
      () => r.load.acked().size,
      () => true,
      15_000,
      {
        what: 'acknowledgements to stop (spool full)',
        intervalMs: 500,
      },
    );
    const ackedWhenFull = r.load.acked().size;
    await holdFor(1500, 'the watch window: with the spool full no acknowledgement may go out');
    expect(r.load.acked().size - ackedWhenFull).toBe(0); // full: acknowledgements wait
    expect((await r.health()).spool).toMatchObject({ full: true });
    const metrics = await (await fetch(`${r.svc.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^kzm_spool_full 1$/m);
    expect(metrics).toMatch(/^kzm_spool_bytes \d+/m);
    // A clean stop during the outage with the spool full (it waited for room, then on every drain: fixed). Under
    // a loaded machine it still sometimes needs the helper's SIGKILL after 40 s (not yet found, see the report):
    // the time is printed, and nothing acknowledged may be lost either way.
    const stopStarted = Date.now();
    await r.svc.kill('SIGTERM');
    const stopMs = Date.now() - stopStarted;
    console.log(JSON.stringify({ drill: 'SIGTERM during the outage, spool full', stopMs }));
    if (stopMs > 30_000) console.log(r.svc.logTail().slice(-1500));
    await r.restartInflux(); // the service's start checks InfluxDB first, then replays the spool left behind
    await r.restartService();
    await r.finish('spool full during influxd outage, service stopped and started');
  }, 300_000);
});
