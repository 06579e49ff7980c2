/**
 * Issue 25 (retention): the service created its database with InfluxDB's default policy (keep for ever) and
 * nothing said how long raw readings must stay. Now a database the service creates keeps data
 * influx.retentionDays (default 2,192 days: 6 years); an existing one keeps its policy, and a policy shorter
 * than that is logged as a warning (a reopened period, late data or verify would miss readings).
 */
import pino from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { influxql } from '../../src/store/query/client.ts';
import { useInflux } from '../helpers/influx.ts';
import { startService } from '../helpers/service.ts';

const influx = useInflux();

async function policies(url: string, database: string) {
  const target = { ...influx.target(), url, database };
  const [s] = await influxql(target, `SHOW RETENTION POLICIES ON "${database}"`, { db: false });
  const cols = s!.columns;
  return s!.values.map((v) => ({
    name: v[cols.indexOf('name')],
    duration: v[cols.indexOf('duration')],
    default: v[cols.indexOf('default')],
  }));
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

describe('InfluxDB retention', () => {
  it('a database the service creates keeps 2,192 days by default (52608h), or influx.retentionDays', async () => {
    const base = influx.target();
    for (const [database, over, want] of [
      ['kzm_ret_default', {}, '52608h0m0s'],
      ['kzm_ret_30', { retentionDays: 30 }, '720h0m0s'],
      ['kzm_ret_forever', { retentionDays: 0 }, '0s'],
    ] as const) {
      const svc = await startService({ ...base, database }, { influx: over });
      try {
        expect(await policies(base.url, database)).toEqual([{ name: 'autogen', duration: want, default: true }]);
      } finally {
        await svc.cleanup();
      }
    }
  });

  it('an existing database keeps its policy; one shorter than retentionDays is a warning naming both', async () => {
    const base = influx.target();
    await influxql(base, 'CREATE DATABASE "kzm_ret_short" WITH DURATION 90d', { db: false });
    const { log, lines } = capture();
    const svc = await startService({ ...base, database: 'kzm_ret_short' }, {}, undefined, log);
    try {
      expect((await policies(base.url, 'kzm_ret_short'))[0]).toMatchObject({ duration: '2160h0m0s' });
      const warn = lines.find((l) =>
        String(l.msg).startsWith('InfluxDB deletes data sooner than influx.retentionDays'),
      );
      expect(warn).toMatchObject({ level: 40, keptDays: 90, retentionDays: 2192 });
    } finally {
      await svc.cleanup();
    }
  });
});
