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
    {
      name: 'wrong number',
      env: { KZM_HTTP_PORT: 'eighty' },
      want: /http\.port \(KZM_HTTP_PORT\): "eighty" is not a number/,
    },
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

  // issue 26: KZM_HTTP_PORT=eighty said "expected number, received NaN" without the value
  it('a variable that is not a number says which value it got', () => {
    expect(err(() => loadConfig({ env: { KZM_HTTP_PORT: 'eighty' } }))).toMatch(
      /http\.port \(KZM_HTTP_PORT\): "eighty" is not a number/,
    );
  });

  // issue 26: KZM_HTTP_PROT listed all 56 variables instead of suggesting KZM_HTTP_PORT
  it('a mistyped variable is answered with the closest known name, not the whole list', () => {
    const msg = err(() => loadConfig({ env: { KZM_HTTP_PROT: '8080' } }));
    expect(msg).toMatch(/KZM_HTTP_PROT: unknown setting; did you mean KZM_HTTP_PORT\?/);
    expect(msg).not.toMatch(/KZM_INFLUX_URL/);
    expect(err(() => loadConfig({ env: { KZM_NOTHING_LIKE_IT: '1' } }))).toMatch(
      /KZM_NOTHING_LIKE_IT: unknown setting \(README "Configuration" lists the \d+ KZM_\* variables\)/,
    );
  });
});
