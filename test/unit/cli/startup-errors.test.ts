import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEVICES_DIR } from '../../helpers/service.ts';

const ROOT = join(import.meta.dirname, '../../..');

function serve(env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      KZM_HTTP_PORT: '0',
      KZM_MQTT_EMBEDDED_PORT: '0',
      ...env,
    },
  });
  return { code: r.status, stderr: r.stderr };
}

describe('serve refuses to start on bad config or registry, naming the problem', () => {
  it('an unknown config variable', () => {
    const r = serve({ KZM_INFLUX_URLL: 'http://127.0.0.1:1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/KZM_INFLUX_URLL: unknown setting/);
    expect(r.stderr).toMatch(/Fix the above and start again/);
  });

  it('a meter pointing to a missing site', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kzm-reg-'));
    cpSync(DEVICES_DIR, dir, { recursive: true });
    writeFileSync(
      join(dir, 'meters.yaml'),
      readFileSync(join(dir, 'meters.yaml'), 'utf8').replace('site: kpg-2', 'site: kpg-9'),
    );
    const r = serve({ KZM_REGISTRY_DIR: dir, KZM_INFLUX_URL: 'http://127.0.0.1:1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /meters\.yaml: entry meters\[7\] \(id "kpg-2-m01"\) field "site": no site with id "kpg-9"/,
    );
  });

  it('a missing influxd says how to install it', () => {
    const r = serve({
      KZM_INFLUX_INFLUXD_PATH: '/nonexistent/influxd',
      KZM_DATA_DIR: mkdtempSync(join(tmpdir(), 'kzm-d-')),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/apt-get install influxdb/);
  });
});
