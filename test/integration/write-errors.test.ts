import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { createBatchWriter, type BatchWriter } from '../../src/store/batch-writer.ts';
import { influxTarget, type InfluxTarget } from '../../src/store/influx-target.ts';
import { pingInflux } from '../../src/store/ping.ts';
import { createWriteApi } from '../../src/store/write-api.ts';
import { eventually } from '../helpers/eventually.ts';
import { useInflux } from '../helpers/influx.ts';

/**
 * Issue 12: a refused credential (401) or a missing database (404) is the service's problem, not the data's.
 * The write must stay unacknowledged and be retried until InfluxDB takes it; nothing is reported as poison.
 */
const log = pino({ level: 'silent' });
const ADMIN = { u: 'admin', p: 'admin-pw' };

async function influxql(url: string, q: string, auth?: { u: string; p: string }): Promise<unknown> {
  const params = new URLSearchParams({ q, ...(auth && { u: auth.u, p: auth.p }) });
  const res = await fetch(`${url}/query?${params.toString()}`, { method: 'POST' });
  const body = (await res.json()) as { results?: { series?: { values: unknown[][] }[]; error?: string }[] };
  if (res.status >= 300 || body.results?.[0]?.error) throw new Error(`${q}: ${res.status} ${JSON.stringify(body)}`);
  return body.results?.[0]?.series?.[0]?.values ?? [];
}

const line = (meter: string, i: number) =>
  `reading,meter=${meter} energy_wh=${1000 + i}i ${(1_751_324_400_000 + i * 60_000) * 1e6}`;

function writerFor(target: InfluxTarget, poison: string[][]): BatchWriter {
  return createBatchWriter({
    writeApi: createWriteApi(target),
    batchSize: 100,
    lingerMs: 1,
    log,
    maxBackoffMs: 500,
    ping: async () => (await pingInflux(target.url, 500)).ok,
    onPoison: (lines) => poison.push([...lines]),
  });
}

/** A write whose acknowledgement can be looked at any moment (no timed wait). */
function tracked(p: Promise<void>): { readonly acked: boolean } {
  const t = { acked: false };
  void p.then(() => (t.acked = true));
  return t;
}

/** The writer has tried (and been refused) `n` times: the write it holds had every chance to be acknowledged. */
const refused = (writer: BatchWriter, n: number) =>
  eventually(
    () => writer.state(),
    (s) => s.consecutiveFailures >= n,
    15_000,
    `${n} refused write attempts`,
  );

const acknowledged = (w: { readonly acked: boolean }, what: string) => eventually(() => w.acked, Boolean, 10_000, what);

function targetFor(url: string, database: string, auth?: { u: string; p: string }): InfluxTarget {
  const cfg = loadConfig({
    env: {},
    overrides: { influx: { database, ...(auth && { username: auth.u, password: auth.p }) } },
  });
  return influxTarget(cfg.influx, url);
}

describe('write errors: credentials refused (real influxd with auth on)', () => {
  const influx = useInflux({ authEnabled: true });
  beforeAll(async () => {
    await influxql(influx.url, `CREATE USER ${ADMIN.u} WITH PASSWORD '${ADMIN.p}' WITH ALL PRIVILEGES`);
    await influxql(influx.url, 'CREATE DATABASE authdb', ADMIN);
  }, 60_000);

  it('a wrong password (401) leaves the write unacknowledged, names "token refused", and the write lands once the user is valid', async () => {
    const poison: string[][] = [];
    const writer = writerFor(targetFor(influx.url, 'authdb', { u: 'meter', p: 'secret' }), poison);
    const written = tracked(writer.write([line('a1', 1), line('a1', 2)]));
    const failing = await refused(writer, 3);
    expect(written.acked).toBe(false);
    expect(poison).toEqual([]);
    expect(failing.consecutiveFailures).toBeGreaterThan(0);
    expect(failing.failing).toMatchObject({ cause: 'token refused' });
    expect(failing.failing?.error).toMatch(/401/);

    await influxql(influx.url, `CREATE USER meter WITH PASSWORD 'secret'`, ADMIN);
    await influxql(influx.url, 'GRANT WRITE ON authdb TO meter', ADMIN);
    await acknowledged(written, 'the held write acknowledged once the user may write');
    const rows = (await influxql(influx.url, 'SELECT count(energy_wh) FROM authdb..reading', ADMIN)) as unknown[][];
    expect(rows[0]?.[1]).toBe(2);
    const after = writer.state();
    expect(after.consecutiveFailures).toBe(0);
    expect(after.failing).toBeUndefined();
    expect(after.recovered).toMatchObject({ cause: 'token refused' });
    await writer.stop(1000);
  }, 30_000);
});

describe('write errors: database dropped under a running writer (real influxd)', () => {
  const influx = useInflux();

  it('a missing database (404) is retried, named "database missing", and nothing is lost once it exists again', async () => {
    const target = await influx.database();
    const poison: string[][] = [];
    const writer = writerFor(target, poison);
    await writer.write([line('d1', 1)]);
    await influxql(influx.url, `DROP DATABASE "${target.database}"`);
    const written = tracked(writer.write([line('d1', 2), line('d1', 3)]));
    await refused(writer, 3);
    expect(written.acked).toBe(false);
    expect(poison).toEqual([]);
    expect(writer.state().failing).toMatchObject({ cause: 'database missing' });

    await influxql(influx.url, `CREATE DATABASE "${target.database}"`);
    await acknowledged(written, 'the held write acknowledged once the database exists again');
    const rows = (await influxql(
      influx.url,
      `SELECT count(energy_wh) FROM "${target.database}"..reading`,
    )) as unknown[][];
    expect(rows[0]?.[1]).toBe(2);
    await writer.stop(1000);
  }, 30_000);

  it('a line InfluxDB refuses as bad data (400) is still isolated and reported, the rest of its batch stored', async () => {
    const target = await influx.database();
    const poison: string[][] = [];
    const writer = writerFor(target, poison);
    const bad = `reading,meter=x1 energy_wh="text" ${1_751_324_400_000 * 1e6}`;
    await writer.write([line('x1', 1), line('x1', 2)]);
    await writer.write([line('x1', 3), bad, line('x1', 4)]);
    expect(poison).toEqual([[bad]]);
    const rows = (await influxql(
      influx.url,
      `SELECT count(energy_wh) FROM "${target.database}"..reading`,
    )) as unknown[][];
    expect(rows[0]?.[1]).toBe(4);
    await writer.stop(1000);
  }, 30_000);
});
