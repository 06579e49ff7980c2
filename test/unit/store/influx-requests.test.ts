import { createServer, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { createBatchWriter } from '../../../src/store/batch-writer.ts';
import { influxql, influxqlRequest } from '../../../src/store/query/client.ts';
import { influxTarget, isLoopbackUrl } from '../../../src/store/influx-target.ts';
import { mapV2WritePathToV1 } from '../../../src/store/v1-write-transport.ts';
import { createWriteApi } from '../../../src/store/write-api.ts';
import pino from 'pino';

/** A capture server: records the HTTP requests the client sends (unit test of the request, not of InfluxDB). */
let captured: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
let base = '';
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => {
    body += d;
  });
  req.on('end', () => {
    captured.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    if (req.url!.startsWith('/query')) {
      res.setHeader('content-type', 'application/json');
      res.end('{"results":[{"statement_id":0}]}');
      return;
    }
    res.statusCode = 204;
    res.end();
  });
});
beforeAll(
  () =>
    new Promise<void>((r) =>
      server.listen(0, '127.0.0.1', () => {
        base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
        r();
      }),
    ),
);
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const target = (env: Record<string, string>) => influxTarget(loadConfig({ env }).influx, base);

async function writeOne(env: Record<string, string>) {
  captured = [];
  const w = createBatchWriter({
    writeApi: createWriteApi(target(env)),
    batchSize: 10,
    lingerMs: 0,
    log: pino({ level: 'silent' }),
  });
  await w.write(['reading,meter=m wh=1i 1000000']);
  return captured[0]!;
}

describe('InfluxDB requests per API version', () => {
  it('maps /api/v2/write to the 1.x /write path', () => {
    expect(mapV2WritePathToV1('/api/v2/write?org=&bucket=kzm%2Fweek&precision=ns')).toBe(
      '/write?db=kzm&rp=week&precision=n',
    );
    expect(mapV2WritePathToV1('/api/v2/write?org=&bucket=kzm&precision=ms')).toBe('/write?db=kzm&precision=ms');
  });

  it('1.x: POST /write?db=&rp= with Basic auth', async () => {
    const r = await writeOne({
      KZM_INFLUX_DATABASE: 'kzm',
      KZM_INFLUX_RETENTION_POLICY: 'week',
      KZM_INFLUX_USERNAME: 'u',
      KZM_INFLUX_PASSWORD: 'p',
    });
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/write?db=kzm&rp=week&precision=n');
    expect(r.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(r.body).toBe('reading,meter=m wh=1i 1000000');
  });

  it('2.x: POST /api/v2/write?org=&bucket= with Token auth', async () => {
    const r = await writeOne({
      KZM_INFLUX_API_VERSION: '2',
      KZM_INFLUX_ORG: 'dala',
      KZM_INFLUX_BUCKET: 'meters',
      KZM_INFLUX_TOKEN: 'tok',
    });
    expect(r.url).toBe('/api/v2/write?org=dala&bucket=meters&precision=ns');
    expect(r.headers.authorization).toBe('Token tok');
  });

  it('3.x: POST /api/v2/write with bucket = database and the token', async () => {
    const r = await writeOne({ KZM_INFLUX_API_VERSION: '3', KZM_INFLUX_DATABASE: 'kzm3', KZM_INFLUX_TOKEN: 'apiv3_x' });
    expect(r.url).toBe('/api/v2/write?org=&bucket=kzm3&precision=ns');
    expect(r.headers.authorization).toBe('Token apiv3_x');
  });

  it('does not gzip a large batch to an InfluxDB on loopback (CPU on both ends for nothing), would across a network', async () => {
    captured = [];
    const w = createBatchWriter({
      writeApi: createWriteApi(target({ KZM_INFLUX_DATABASE: 'kzm' })),
      batchSize: 5000,
      lingerMs: 0,
      log: pino({ level: 'silent' }),
    });
    const lines = Array.from({ length: 2000 }, (_, i) => `reading,meter=m${i} wh=${i}i,fault=0i ${1e15 + i}`);
    await w.write(lines);
    expect(captured[0]!.body.length).toBeGreaterThan(64 * 1024);
    expect(captured[0]!.headers['content-encoding']).toBeUndefined();
    expect(captured[0]!.body.split('\n')).toHaveLength(2000);
    expect(isLoopbackUrl(base)).toBe(true);
    expect(isLoopbackUrl('http://localhost:8086')).toBe(true);
    expect(isLoopbackUrl('http://[::1]:8086')).toBe(true);
    expect(isLoopbackUrl('https://eu-central-1-1.aws.cloud2.influxdata.com')).toBe(false);
    expect(isLoopbackUrl('http://influxdb:8086')).toBe(false);
    expect(isLoopbackUrl('http://127.0.0.1.example.com')).toBe(false);
  });

  it.each([
    ['1', {}, undefined],
    ['2', { KZM_INFLUX_API_VERSION: '2', KZM_INFLUX_TOKEN: 't' }, 'Token t'],
    ['3', { KZM_INFLUX_API_VERSION: '3', KZM_INFLUX_TOKEN: 't' }, 'Bearer t'],
  ])('InfluxQL over /query for %s.x', async (_v, env, auth) => {
    captured = [];
    await influxql(target({ KZM_INFLUX_DATABASE: 'kzm', ...env }), 'SELECT 1');
    const r = captured[0]!;
    expect(r.url).toBe('/query');
    expect(new URLSearchParams(r.body).get('db')).toBe('kzm');
    expect(new URLSearchParams(r.body).get('q')).toBe('SELECT 1');
    expect(r.headers.authorization).toBe(auth);
    expect(influxqlRequest(target({ KZM_INFLUX_DATABASE: 'kzm', ...env }), 'x').url).toBe(`${base}/query`);
  });
});
