/**
 * Issue 26: docker-compose.yml used a volume `subpath`, which Debian's docker-compose 1.29 cannot read
 * (`config` failed with and without `--profile scale-out`: "services.mosquitto.volumes contains unsupported
 * option: 'subpath'"). Checked with Debian's docker-compose where it is installed (.ci/run installs it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './compose-file.ts';

let compose: string | undefined;
try {
  if (/version 1\./.test(execFileSync('docker-compose', ['version'], { encoding: 'utf8' }))) compose = 'docker-compose';
} catch {}

// The variables compose requires (`${VAR:?}`); their values do not matter to `config`.
const env = {
  ...process.env,
  GRAFANA_ADMIN_PASSWORD: 'x',
  INFLUX_ADMIN_PASSWORD: 'x',
  INFLUX_TOKEN: 'x',
  SIM_MQTT_PASSWORD: 'x',
};

describe.skipIf(!compose)("Debian's docker-compose 1.29 reads the compose file", () => {
  it.each([[], ['--profile', 'scale-out']])('config %s', (...profile: string[]) => {
    const r = spawnSync(compose!, ['-f', join(ROOT, 'docker-compose.yml'), ...profile, 'config', '-q'], {
      env,
      encoding: 'utf8',
    });
    expect(r.stderr.trim()).toBe('');
    expect(r.status).toBe(0);
  });
});
