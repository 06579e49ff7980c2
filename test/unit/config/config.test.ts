import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/load.ts';

const err = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('config accepted');
};

describe('config', () => {
  it('fills defaults and reads KZM_* variables with their types', () => {
    const c = loadConfig({
      env: {
        KZM_HTTP_PORT: '9001',
        KZM_INFLUX_CREATE_IF_MISSING: 'false',
        KZM_MQTT_BROKER_URL: 'mqtt://10.0.0.1:1883',
      },
    });
    expect(c.http.port).toBe(9001);
    expect(c.influx.createIfMissing).toBe(false);
    expect(c.mqtt.brokerUrl).toBe('mqtt://10.0.0.1:1883');
    expect(c.influx.apiVersion).toBe('1');
    expect(c.registryDir).toBe('devices');
  });

  it('environment overrides the config file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kzm-cfg-')), 'c.yaml');
    writeFileSync(file, 'http:\n  port: 7000\ninflux:\n  database: fromfile\n');
    const c = loadConfig({ env: { KZM_HTTP_PORT: '7001' }, file });
    expect(c.http.port).toBe(7001);
    expect(c.influx.database).toBe('fromfile');
  });

  it.each([
    { name: 'unknown env variable', env: { KZM_HTTP_PROT: '1' }, want: /KZM_HTTP_PROT: unknown setting/ },
    { name: 'wrong number', env: { KZM_HTTP_PORT: 'eighty' }, want: /http\.port \(KZM_HTTP_PORT\): .*number/ },
    { name: 'out of range', env: { KZM_HTTP_PORT: '70000' }, want: /http\.port \(KZM_HTTP_PORT\): .*65535/ },
    {
      name: 'bad enum',
      env: { KZM_INFLUX_API_VERSION: '4' },
      want: /influx\.apiVersion \(KZM_INFLUX_API_VERSION\): .*"1"\|"2"\|"3"/,
    },
    { name: 'bad URL', env: { KZM_INFLUX_URL: 'localhost' }, want: /influx\.url .*URL/ },
  ])('refuses $name with a message naming the key', ({ env, want }) => {
    expect(err(() => loadConfig({ env }))).toMatch(want);
  });

  it('refuses an unknown key in the config file, naming it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kzm-cfg-')), 'c.yaml');
    writeFileSync(file, 'influx:\n  urll: http://x:8086\n');
    expect(err(() => loadConfig({ env: {}, file }))).toMatch(/influx\.urll .*c\.yaml.*unknown setting/);
  });
});
