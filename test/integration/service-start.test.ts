import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/util/free-port.ts';
import { useInflux } from '../helpers/influx.ts';
import { startService } from '../helpers/service.ts';

const TARIFFS_DIR = join(import.meta.dirname, '../../tariffs');

/** Does anything accept TCP connections on this port? */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('two-phase start: what can refuse to start is checked before the broker listens', () => {
  const influx = useInflux();
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kzm-start-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('a broken tariff file: start fails naming it, and neither the MQTT nor the HTTP port ever opens', async () => {
    const tariffs = join(dir, 'tariffs');
    cpSync(TARIFFS_DIR, tariffs, { recursive: true });
    writeFileSync(join(tariffs, 'kz-2024.yaml'), 'id: kz-2024\nrates: [this is not a tariff\n');
    const [mqttPort, httpPort] = [await freePort(), await freePort()];
    const target = await influx.database();
    const started = startService(target, {
      tariffsDir: tariffs,
      mqtt: { embeddedPort: mqttPort },
      http: { port: httpPort },
    });
    // While start() runs and after it fails, nothing may accept a reading.
    const probes: boolean[] = [];
    const probing = (async () => {
      for (let i = 0; i < 20; i++) {
        probes.push(await listening(mqttPort));
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await expect(started).rejects.toThrow(/Tariff schedules in .*tariffs are invalid/);
    await probing;
    expect(probes.length).toBe(20);
    expect(probes.some(Boolean)).toBe(false);
    expect(await listening(mqttPort)).toBe(false);
    expect(await listening(httpPort)).toBe(false);
  });

  it('the same service with valid tariffs opens both ports (the probe above can see a listener)', async () => {
    const [mqttPort, httpPort] = [await freePort(), await freePort()];
    const svc = await startService(await influx.database(), {
      tariffsDir: TARIFFS_DIR,
      mqtt: { embeddedPort: mqttPort },
      http: { port: httpPort },
    });
    try {
      expect(await listening(mqttPort)).toBe(true);
      expect(await listening(httpPort)).toBe(true);
      const health = (await (await fetch(`${svc.httpUrl}/health`)).json()) as {
        status: string;
        broker: { connected: boolean; mode: string };
        influx: { reachable: boolean };
      };
      expect(health).toMatchObject({
        status: 'ok',
        broker: { mode: 'embedded', connected: true },
        influx: { reachable: true },
      });
    } finally {
      await svc.cleanup();
    }
  });
});
