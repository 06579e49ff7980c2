import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { createBatchWriter } from '../../src/store/batch-writer.ts';
import { influxTarget } from '../../src/store/influx-target.ts';
import { createLocalInflux, type LocalInflux } from '../../src/store/local-influxd.ts';
import { pingInflux } from '../../src/store/ping.ts';
import { ensureDatabase } from '../../src/store/setup.ts';
import { createWriteApi } from '../../src/store/write-api.ts';
import { freePort } from '../../src/util/free-port.ts';
import { eventually } from '../helpers/eventually.ts';

const dir = mkdtempSync(join(tmpdir(), 'kzm-resume-'));
const started: LocalInflux[] = [];
afterAll(async () => {
  for (const i of started) await i.stop();
  rmSync(dir, { recursive: true, force: true });
});

const target = (url: string) =>
  influxTarget(loadConfig({ env: {}, overrides: { influx: { database: 'resume', timeoutMs: 1000 } } }).influx, url);

it('writes resume as soon as a real influxd answers /ping again, not at the end of the backoff', async () => {
  // The database exists on disk before the outage, as in production: only the server is away.
  const first = createLocalInflux({ dataDir: dir });
  await first.start();
  await ensureDatabase(target(first.url), pino({ level: 'silent' }));
  await first.stop();

  const port = await freePort();
  const t = target(`http://127.0.0.1:${port}`);
  // The writer's /ping, counted: a ping that finds InfluxDB back ends the backoff wait at once.
  let pingsUp = 0;
  // Each write attempt, with how many /ping had found InfluxDB up when it was made.
  const api = createWriteApi(t);
  const attemptsAtPingsUp: number[] = [];
  const w = createBatchWriter({
    writeApi: {
      writeLines(lines) {
        attemptsAtPingsUp.push(pingsUp);
        return api.writeLines(lines);
      },
    },
    batchSize: 10,
    lingerMs: 0,
    log: pino({ level: 'silent' }),
    ping: async () => {
      const up = (await pingInflux(t.url, 300)).ok;
      if (up) pingsUp++;
      return up;
    },
    pingEveryMs: 100,
  });
  // InfluxDB down: connections refused until the writer is deep in its backoff (6 failures: 0.1+0.2+0.4+0.8+1.6 s
  // waited, the next wait 3.2 s).
  let pingsUpAtWrite: number | undefined;
  const written = w.write(['m v=1i 1']).then(() => {
    pingsUpAtWrite = pingsUp;
  });
  await eventually(
    () => w.state().consecutiveFailures,
    (n) => n >= 6,
    20_000,
    'the writer in its 3.2 s backoff',
  );
  expect(w.state().failing).toMatchObject({ cause: 'InfluxDB unreachable' });
  const again = createLocalInflux({ dataDir: dir, port });
  started.push(again);
  await again.start();
  await written;
  // Tried again on the first /ping that found InfluxDB back: had the writer waited out its backoff, the pings
  // every 100 ms meanwhile would have found it up again and again before the next attempt. (Whether that attempt
  // succeeds depends on influxd having opened its database: under load it may answer /ping a moment before; the
  // suite once saw the write land after 31 pings, so it is the attempt that is checked, and the write below.)
  expect(attemptsAtPingsUp).toContain(1);
  expect(pingsUpAtWrite).toBeGreaterThanOrEqual(1);
  expect(w.state().failing).toBeUndefined();
  const res = await fetch(`${again.url}/query?${new URLSearchParams({ db: 'resume', q: 'SELECT count(v) FROM m' })}`);
  expect(JSON.stringify(await res.json())).toContain('"values":[["1970-01-01T00:00:00Z",1]]');
  await w.stop(500);
}, 60_000);
