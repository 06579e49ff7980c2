import { describe, expect, it } from 'vitest';
import { redactSecrets, splitUrlCredentials } from '../../../src/util/redact.ts';
import { influxTarget } from '../../../src/store/influx-target.ts';
import { loadConfig } from '../../../src/config/load.ts';

describe('redactSecrets: credentials in any URL (issue 21 F7)', () => {
  it.each([
    { name: 'user and password', text: 'mqtt://mon:s3cr3t@broker:1883', want: 'mqtt://***@broker:1883' },
    {
      name: 'a lone token as user',
      text: 'https://tok3n@influx.example:8086/x',
      want: 'https://***@influx.example:8086/x',
    },
    { name: 'a password holding ":"', text: 'mqtts://a:b:c@h:8883', want: 'mqtts://***@h:8883' },
    {
      name: 'InfluxDB 1.x query credentials',
      text: 'http://h:8086/query?u=admin&p=pw&db=x',
      want: 'http://h:8086/query?u=***&p=***&db=x',
    },
    { name: 'a token parameter', text: 'GET /x?token=abc&y=1', want: 'GET /x?token=***&y=1' },
    {
      name: 'inside a JSON log line',
      text: '{"msg":"x","url":"mqtt://mon:pw@10.0.0.5:1883"}',
      want: '{"msg":"x","url":"mqtt://***@10.0.0.5:1883"}',
    },
    { name: 'a URL without credentials', text: 'http://127.0.0.1:8086', want: 'http://127.0.0.1:8086' },
    { name: 'an @ in the path, not the authority', text: 'http://h/users/a@b', want: 'http://h/users/a@b' },
    { name: 'plain text', text: 'no url here, a@b.example', want: 'no url here, a@b.example' },
  ])('$name', ({ text, want }) => expect(redactSecrets(text)).toBe(want));
});

describe('InfluxDB URL credentials become the Authorization header', () => {
  const cfg = (o: Record<string, unknown> = {}) => loadConfig({ env: {}, overrides: { influx: o } }).influx;

  it('1.x: user:password in the URL is Basic auth; the target URL holds no secret', () => {
    const t = influxTarget(cfg(), 'http://kzm:p%40ss@127.0.0.1:8086');
    expect(t.url).toBe('http://127.0.0.1:8086');
    expect(t.authorization).toBe(`Basic ${Buffer.from('kzm:p@ss').toString('base64')}`);
  });

  it('explicit username/password win over the URL', () => {
    const t = influxTarget(cfg({ username: 'a', password: 'b' }), 'http://kzm:x@h:8086');
    expect(t.authorization).toBe(`Basic ${Buffer.from('a:b').toString('base64')}`);
  });

  it('2.x: the URL password is the token', () => {
    const t = influxTarget(cfg({ apiVersion: '2', org: 'o' }), 'http://u:tok@h:8086/');
    expect(t.url).toBe('http://h:8086');
    expect(t.authorization).toBe('Token tok');
  });

  it('a URL without credentials is unchanged', () =>
    expect(splitUrlCredentials('http://h:8086')).toEqual({ url: 'http://h:8086' }));
});
