/**
 * Drills (issue 12): hostile input against the service (its own process, embedded broker) while meters keep
 * publishing good readings. The amplification message is one 262,143-byte payload `[0,0,...]` (131,071 bad
 * array elements); the storm is thousands of garbage messages. Good readings acknowledged must be stored,
 * the bad ones acknowledged (rejected, not redelivered forever), and the peak RSS stays under 300 MB.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/util/free-port.ts';
import { useInflux } from '../helpers/influx.ts';
import { startMeterLoad, storedKeys, tally } from '../helpers/meter-load.ts';
import { spawnService } from '../helpers/service-process.ts';

const METERS = ['ekb-1-m05', 'kpg-2-m01'];
const RSS_BOUND = 300 * 1024 * 1024;

const influx = useInflux();

/** `[0,0,...,0]` of exactly `bytes` bytes (odd): (bytes - 1) / 2 elements. */
function amplificationPayload(bytes = 262_143): Buffer {
  const n = (bytes - 1) / 2;
  return Buffer.from(`[${'0,'.repeat(n - 1)}0]`);
}

async function badInputDrill(name: string, attack: (brokerUrl: string) => Promise<number>) {
  const target = await influx.database();
  const dataDir = mkdtempSync(join(tmpdir(), 'kzm-drill-bad-'));
  const mqttPort = String(await freePort());
  const brokerUrl = `mqtt://127.0.0.1:${mqttPort}`;
  const svc = await spawnService({
    KZM_HTTP_PORT: String(await freePort()),
    KZM_MQTT_EMBEDDED_PORT: mqttPort,
    KZM_INFLUX_URL: target.url,
    KZM_INFLUX_DATABASE: target.database,
    KZM_DATA_DIR: dataDir,
  });
  const load = await startMeterLoad(brokerUrl, METERS, 400);
  try {
    await load.ackedMore(400); // good readings flow before the attack (acknowledged once stored)
    const attackMs = await attack(brokerUrl);
    await load.ackedMore(400); // and after it
    load.stop();
    const allAcked = await load.allAcked(60_000);
    const acked = new Set(load.acked()); // before the count: an ack arriving during it would look lost
    const figures = {
      drill: name,
      ...tally(load.sent(), acked, await storedKeys(target, METERS)),
      attackAckedInMs: attackMs,
      peakRssMB: Math.round(svc.peakRssBytes() / 1048576),
    };
    console.log(JSON.stringify(figures));
    expect(allAcked, svc.logTail()).toBe(true);
    expect(figures.lost).toBe(0);
    expect(svc.peakRssBytes()).toBeLessThan(RSS_BOUND);
  } finally {
    await load.end();
    await svc.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('drill: hostile input, memory bounded', () => {
  // Before bounded rejections per message (the ingest pipeline's part of issue 12): peak RSS 2.6-3 GB, PUBACK after 49-110 s.
  it('four amplification messages at once are acknowledged and memory stays bounded', async () => {
    await badInputDrill('amplification x4 (262,143-byte [0,0,...])', async (url) => {
      const started = Date.now();
      await Promise.all(
        [1, 2, 3, 4].map(async (i) => {
          const c = await mqtt.connectAsync(url, { clientId: `amp-${i}`, reconnectPeriod: 0 });
          await c.publishAsync(`meters/ekb-1-m0${i}/reading`, amplificationPayload(), { qos: 1 });
          await c.endAsync();
        }),
      );
      return Date.now() - started;
    });
  }, 180_000);

  it('a storm of 10,000 garbage messages is acknowledged and memory stays bounded', async () => {
    await badInputDrill('garbage storm 10,000 messages', async (url) => {
      const started = Date.now();
      const c = await mqtt.connectAsync(url, { clientId: 'storm', reconnectPeriod: 0 });
      const kinds = ['{not json', '[{"ts":"yesterday","kwh":-1}]', '{"ts":1,"kwh":"x"}', 'x'.repeat(2000)];
      for (let i = 0; i < 10_000; i += 500)
        await Promise.all(
          Array.from({ length: 500 }, (_, k) =>
            c.publishAsync(`meters/ekb-1-m0${1 + ((i + k) % 7)}/reading`, kinds[(i + k) % kinds.length]!, { qos: 1 }),
          ),
        );
      await c.endAsync();
      return Date.now() - started;
    });
  }, 180_000);
});
