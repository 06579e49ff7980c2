/**
 * Issue 22, item 6: readers could kill the service. With the shipped heap cap (--max-old-space-size=256), 200
 * concurrent identical GET /api/ledger?period=<running quarter> over a registry of 2,014 meters ended in "FATAL
 * ERROR: Ineffective mark-compacts near heap limit ... JavaScript heap out of memory" in both of two runs, and the
 * embedded broker died with the process. The computation was shared; the serialisation of the answer (a copy
 * through the response schema and a JSON string, 2 MB for 2,000 meters) was made once per request. Here the
 * service runs as deployed (its own process, the shipped heap cap) with 2,000 meters: every request must be
 * answered 200 with the same bytes, the service must live on, and its peak RSS stays under 300 MB. Timing is the
 * bench's (`npm run bench ledger`), not this test's.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/util/free-port.ts';
import { startInflux, type TestInflux } from '../helpers/influx.ts';
import { runningQuarterLabel, ledgerStorm } from '../helpers/ledger-storm.ts';
import { spawnService, type ServiceProcess } from '../helpers/service-process.ts';
import { writeBenchRegistry } from '../helpers/synthetic-registry.ts';

const METERS = 2000;
const READERS = 200;
const RSS_BOUND = 300 * 1024 * 1024;

let influx: TestInflux;
beforeAll(async () => {
  influx = await startInflux();
}, 60_000);
afterAll(async () => {
  await influx?.stop();
});

describe('ledger readers under the shipped heap cap (issue 22, item 6)', () => {
  it(`${READERS} concurrent identical running-quarter ledgers over ${METERS} meters: all 200, the service alive, RSS under 300 MB`, async () => {
    const target = await influx.database();
    const dir = mkdtempSync(join(tmpdir(), 'kzm-readers-'));
    const registryDir = join(dir, 'registry');
    mkdirSync(registryDir);
    writeBenchRegistry(registryDir, METERS);
    let svc: ServiceProcess | undefined;
    try {
      svc = await spawnService({
        KZM_HTTP_PORT: String(await freePort()),
        KZM_MQTT_EMBEDDED_PORT: String(await freePort()),
        KZM_INFLUX_URL: target.url,
        KZM_INFLUX_DATABASE: target.database,
        KZM_DATA_DIR: join(dir, 'data'),
        KZM_REGISTRY_DIR: registryDir,
      });
      const storm = await ledgerStorm(`${svc.httpUrl}/api/ledger?period=${runningQuarterLabel()}`, READERS, {
        keepBodies: true,
      });
      const statuses = storm.answers.map((a) => a.status);
      expect(
        statuses.filter((s) => s !== 200),
        svc.logTail(),
      ).toEqual([]);
      // A running period is cut at now: requests that come while one computation runs share it (and its bytes);
      // later ones start the next. Every answer is the whole fleet's quarter.
      const digests = new Set(storm.answers.map((a) => createHash('sha256').update(a.body!).digest('hex')));
      const first = JSON.parse(storm.answers[0]!.body!.toString('utf8')) as { scope: { meters: string[] } };
      expect(first.scope.meters).toHaveLength(METERS);
      const ms = storm.answers.map((a) => a.ms).sort((a, b) => a - b);
      console.log(
        JSON.stringify({
          readers: READERS,
          meters: METERS,
          distinctAnswers: digests.size,
          answerBytes: storm.answers[0]!.body!.length,
          p50Ms: Math.round(ms[Math.floor(ms.length / 2)]!),
          p99Ms: Math.round(ms[Math.floor(ms.length * 0.99)]!),
          peakRssMB: Math.round(svc.peakRssBytes() / 2 ** 20),
        }),
      );
      // Alive: it still answers, and its broker with it.
      expect((await fetch(`${svc.httpUrl}/health`)).status).toBeLessThan(600);
      expect(svc.peakRssBytes()).toBeLessThan(RSS_BOUND);
    } finally {
      await svc?.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
