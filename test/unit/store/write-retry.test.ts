import { createServer, type Server } from 'node:http';
import { HttpError, RequestTimedOutError } from '@influxdata/influxdb-client';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { createBatchWriter } from '../../../src/store/batch-writer.ts';
import { influxTarget } from '../../../src/store/influx-target.ts';
import { pingInflux } from '../../../src/store/ping.ts';
import { createWriteApi } from '../../../src/store/write-api.ts';
import { classifyWriteError } from '../../../src/store/write-errors.ts';
import { freePort } from '../../../src/util/free-port.ts';

describe('classifyWriteError: only 400/413/422 are the data’s fault', () => {
  const cases = [
    {
      name: '400 bad line',
      err: new HttpError(400, 'Bad Request', '{"error":"partial write"}'),
      kind: 'data',
      cause: 'line refused',
    },
    { name: '413 too large', err: new HttpError(413, 'Too Large'), kind: 'data', cause: 'line refused' },
    { name: '422 unprocessable', err: new HttpError(422, 'Unprocessable'), kind: 'data', cause: 'line refused' },
    { name: '401 refused', err: new HttpError(401, 'Unauthorized'), kind: 'retry', cause: 'token refused' },
    { name: '403 forbidden', err: new HttpError(403, 'Forbidden'), kind: 'retry', cause: 'token refused' },
    { name: '404 database', err: new HttpError(404, 'Not Found'), kind: 'retry', cause: 'database missing' },
    { name: '408 timeout', err: new HttpError(408, 'Timeout'), kind: 'retry', cause: 'InfluxDB timed out' },
    {
      name: '429 throttled',
      err: new HttpError(429, 'Too Many', '', '7'),
      kind: 'retry',
      cause: 'InfluxDB throttling writes',
    },
    { name: '503 unavailable', err: new HttpError(503, 'Unavailable'), kind: 'retry', cause: 'InfluxDB server error' },
    { name: '409 unknown 4xx', err: new HttpError(409, 'Conflict'), kind: 'retry', cause: 'unexpected HTTP 409' },
    { name: 'client timeout', err: new RequestTimedOutError(), kind: 'retry', cause: 'InfluxDB timed out' },
    {
      name: 'connection refused',
      err: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      kind: 'retry',
      cause: 'InfluxDB unreachable',
    },
  ];
  it.each(cases)('$name', ({ err, kind, cause }) => {
    expect(classifyWriteError(err)).toMatchObject({ kind, cause });
  });
  it('a refused connection is marked refused (InfluxDB seen down); a timeout or a 503 is not', () => {
    expect(classifyWriteError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).refused).toBe(
      true,
    );
    expect(classifyWriteError(new RequestTimedOutError()).refused).toBeUndefined();
    expect(classifyWriteError(new HttpError(503, 'Unavailable')).refused).toBeUndefined();
  });
  it('reads Retry-After (seconds) into ms', () => {
    expect(classifyWriteError(new HttpError(429, 'Too Many', '', '7')).retryAfterMs).toBe(7000);
  });
});

/**
 * A scripted /write endpoint for the one answer a real influxd cannot be made to give on demand: 429 with a
 * Retry-After header. Everything a real server can do (down, back, 401, 404) is drilled against Debian's
 * influxd in test/integration/write-errors.test.ts and write-resume.test.ts.
 */
function fakeInflux(answer: (n: number) => { status: number; headers?: Record<string, string> }) {
  const writes: number[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url!.startsWith('/ping')) {
        res.statusCode = 204;
        res.end();
        return;
      }
      writes.push(Date.now());
      const a = answer(writes.length);
      res.writeHead(a.status, a.headers ?? {});
      res.end(a.status >= 300 ? '{"error":"scripted"}' : '');
    });
  });
  return { server, writes };
}

const listen = (s: Server, port: number) => new Promise<void>((r) => s.listen(port, '127.0.0.1', () => r()));
const close = (s: Server) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()));

describe('BatchWriter retry timing', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await close(s);
    }
  });

  async function writerOn(port: number) {
    const cfg = loadConfig({ env: {}, overrides: { influx: { database: 'x', timeoutMs: 1000 } } });
    const target = influxTarget(cfg.influx, `http://127.0.0.1:${port}`);
    return createBatchWriter({
      writeApi: createWriteApi(target),
      batchSize: 10,
      lingerMs: 0,
      log: pino({ level: 'silent' }),
      ping: async () => (await pingInflux(target.url, 300)).ok,
      pingEveryMs: 100,
    });
  }

  it('honours Retry-After on 429 before the next attempt', async () => {
    const port = await freePort();
    const fake = fakeInflux((n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 204 }));
    servers.push(fake.server);
    await listen(fake.server, port);
    const w = await writerOn(port);
    await w.write(['m v=1i 1']);
    expect(fake.writes).toHaveLength(2);
    expect(fake.writes[1]! - fake.writes[0]!).toBeGreaterThanOrEqual(950);
    expect(w.state().recovered).toMatchObject({ cause: 'InfluxDB throttling writes' });
    await w.stop(500);
  });

  it("after a refused connection the first /ping that answers ends the backoff (stop 30 CI: a server back before the wait's first ping left the writer in its whole backoff)", async () => {
    // Refused three times, then accepted; /ping answers from the start. Each wait must end at its first ping
    // (before: 10, 20 and 40 pings, the whole 0.1, 0.2 and 0.4 s backoffs, because no ping had seen it down).
    let pings = 0;
    const pingsAtAttempt: number[] = [];
    const w = createBatchWriter({
      writeApi: {
        async writeLines() {
          pingsAtAttempt.push(pings);
          if (pingsAtAttempt.length <= 3)
            throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        },
      },
      batchSize: 10,
      lingerMs: 0,
      log: pino({ level: 'silent' }),
      ping: async () => {
        pings++;
        return true;
      },
      pingEveryMs: 10,
    });
    await w.write(['m v=1i 1']);
    expect(pingsAtAttempt).toEqual([0, 1, 2, 3]);
    await w.stop(500);
  });
});
