/**
 * Issue 22, item 5: log levels and words that tell the truth. Against main at 9b806d5, with the spool on, a SIGTERM
 * while InfluxDB refused writes logged "Writer stopped with unwritten lines; they were not acknowledged and the
 * broker will redeliver them." at error level with pendingLines: 0 (the lines were in a batch being retried, and
 * they were acknowledged: they are in the spool), and the fee-days component logged "readings stay unacknowledged"
 * about its own fee_1d writes. The service runs as its own process against a real influxd with authentication on,
 * as a user that may read but not write (403 on every write: reads work, so the fee days get computed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/util/free-port.ts';
import { eventually } from '../helpers/eventually.ts';
import { useInflux } from '../helpers/influx.ts';
import { spawnService, type LogLine, type ServiceProcess } from '../helpers/service-process.ts';

const ADMIN = { u: 'admin', p: 'admin-pw' };
const DB = 'logtruth';

async function influxql(url: string, q: string, as = ADMIN): Promise<void> {
  const params = new URLSearchParams({ q, u: as.u, p: as.p, db: DB });
  const res = await fetch(`${url}/query?${params.toString()}`, { method: 'POST' });
  const text = await res.text();
  // InfluxDB 1.x answers a failed statement with 200 and the error in results[]: a grant that did not happen
  // must fail here, not as a 60 s wait for lines that a refused read never produces.
  const stmtError = (JSON.parse(text || '{}') as { results?: { error?: string }[] }).results?.find((r) => r.error);
  if (res.status >= 300 || stmtError) throw new Error(`${q}: ${res.status} ${text}`);
}

const influx = useInflux({ authEnabled: true });
beforeAll(async () => {
  await influxql(influx.url, `CREATE USER ${ADMIN.u} WITH PASSWORD '${ADMIN.p}' WITH ALL PRIVILEGES`);
  await influxql(influx.url, `CREATE DATABASE ${DB}`);
  await influxql(influx.url, `CREATE USER reader WITH PASSWORD 'reader-pw'`);
  await influxql(influx.url, `GRANT READ ON ${DB} TO reader`);
  // the premise: this server is ours and the reader may read (its writes are what get refused)
  await influxql(influx.url, 'SHOW MEASUREMENTS', { u: 'reader', p: 'reader-pw' });
}, 60_000);

const by = (component: string) => (l: LogLine) => l.component === component;

describe('log lines tell the truth (issue 22, item 5)', () => {
  it('spool on, InfluxDB refusing writes: fee days say they are derived data, a SIGTERM says the lines stay in the spool', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kzm-logtruth-'));
    const mqttPort = await freePort();
    let svc: ServiceProcess | undefined;
    try {
      svc = await spawnService({
        KZM_HTTP_PORT: String(await freePort()),
        KZM_MQTT_EMBEDDED_PORT: String(mqttPort),
        KZM_INFLUX_URL: influx.url,
        KZM_INFLUX_DATABASE: DB,
        KZM_INFLUX_USERNAME: 'reader',
        KZM_INFLUX_PASSWORD: 'reader-pw',
        KZM_INFLUX_CREATE_IF_MISSING: 'false',
        KZM_DATA_DIR: dataDir,
        KZM_INGEST_SPOOL_ENABLED: 'true',
      });
      const s = svc;
      // The fee days of the running quarter are written 15 s after start: their writes get 403.
      const feeFailing = await eventually(
        async () =>
          s
            .logLines()
            .filter(by('fee-days'))
            .filter((l) => l.level >= 50),
        (ls) => ls.length > 0,
        60_000,
        { what: 'an error line of the fee days (their writes refused)', show: () => s.logTail() },
      );
      expect(feeFailing.length, s.logTail()).toBeGreaterThan(0);
      // A reading: acknowledged once in the spool, then its replay is refused (403) and retried.
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'logtruth', reconnectPeriod: 0 });
      await c.publishAsync('meters/ekb-1-m01/reading', JSON.stringify({ ts: Date.now() - 60_000, kwh: 1234.5 }), {
        qos: 1,
      });
      await c.endAsync();
      const writerFailing = await eventually(
        async () =>
          s
            .logLines()
            .filter(by('writer'))
            .filter((l) => l.level >= 50),
        (ls) => ls.length > 0,
        20_000,
        { what: "an error line of the readings' writer (its replay refused)", show: () => s.logTail() },
      );
      expect(writerFailing.length, s.logTail()).toBeGreaterThan(0);
      await s.kill('SIGTERM');
      const lines = s.logLines();

      // fee_1d is derived data: no reading waits on it.
      for (const l of lines.filter(by('fee-days'))) expect(l.msg).not.toMatch(/readings stay unacknowledged/);
      expect(feeFailing[0]!.msg).toMatch(/fee days/i);
      // With the spool, a refused replay holds no acknowledgement back: the readings are in the spool.
      for (const l of lines.filter(by('writer'))) expect(l.msg).not.toMatch(/unacknowledged|redeliver/);
      expect(writerFailing[0]!.msg).toMatch(/spool/);
      // The stop: no error, and the count is of the lines really left (a batch being retried included).
      const stopped = lines.filter((l) => /Writer stopped/.test(l.msg));
      expect(stopped.filter((l) => l.level >= 50)).toEqual([]);
      const ingestStop = stopped.find(by('writer'));
      expect(ingestStop, JSON.stringify(stopped)).toBeDefined();
      expect(ingestStop!.msg).toMatch(/spool/);
      expect(ingestStop!.unwrittenLines).toBeGreaterThan(0);
    } finally {
      await svc?.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
