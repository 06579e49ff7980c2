/** The declarative mapping for JSON gateways: pointers, units, timestamp forms, status values, channels. */
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../src/ingest/decode.ts';
import { DEVICES_YAML, registryWithDevices } from './device-registry.ts';

const NOW = Date.UTC(2025, 6, 1, 6, 0, 0);
const T = Date.UTC(2025, 6, 1, 5, 0, 0);
const registry = registryWithDevices(DEVICES_YAML);
const ctx = { registry, nowMs: NOW, maxPayloadBytes: 64 * 1024, maxFutureSkewMs: 300_000 };
const dec = (topic: string, payload: unknown, extra = {}) =>
  decodeMessage(topic, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)), {
    ...ctx,
    ...extra,
  });
const reading = (kwh: number | string, time: number, unit = 'kWh') => ({
  time,
  energy: { import: kwh, unit },
  power_w: 2950,
});

describe('mapped', () => {
  it('topic pattern {device}/{channel} picks the meter; pointer, unit and epoch-s time are applied', () => {
    const d = dec('acme/gw01/meter/2', reading(5000.123, T / 1000));
    expect(d.rejections).toEqual([]);
    expect(d.readings).toEqual([
      { meterId: 'ekb-1-m04', siteId: 'ekb-1', tsMs: T, registerWh: 5_000_123, kw: 2.95, status: 'ok' },
    ]);
  });

  it('a numeric string and an MWh unit stated in the payload are understood; a buffered array is stored whole', () => {
    const d = dec('acme/gw01/meter/1', [reading('5.000123', T / 1000 - 60, 'MWh'), reading(5000.2, T / 1000)]);
    expect(d.readings.map((r) => [r.tsMs, r.registerWh])).toEqual([
      [T - 60_000, 5_000_123],
      [T, 5_000_200],
    ]);
  });

  it.each([
    ['a unit that is not energy', reading(1, T / 1000, 'kvarh'), 'wrong-unit'],
    ['a missing register', { time: T / 1000, energy: { unit: 'kWh' } }, 'schema'],
    ['a time in ms where s is configured', reading(1, T), 'bad-timestamp'],
    ['no time', { energy: { import: 1, unit: 'kWh' } }, 'bad-timestamp'],
  ])('rejects %s', (_n, payload, reason) => {
    const d = dec('acme/gw01/meter/2', payload);
    expect(d.readings).toEqual([]);
    expect(d.rejections[0]!.reason).toBe(reason);
  });

  it('a register ~1000x off the last one (Wh sent as kWh) is rejected as unit-jump; good neighbours stay', () => {
    const d = dec(
      'acme/gw01/meter/2',
      [reading(5000.5, T / 1000), reading(5_000_600, T / 1000 + 60), reading(5000.7, T / 1000 + 120)],
      {
        lastReading: () => ({ tsMs: T - 60_000, registerWh: 5_000_000 }),
      },
    );
    expect(d.readings.map((r) => r.registerWh)).toEqual([5_000_500, 5_000_700]);
    expect(d.rejections).toEqual([expect.objectContaining({ reason: 'unit-jump', count: 1, meterId: 'ekb-1-m04' })]);
  });

  it('status with its own time and configured values, any case; an array forwards an outage window', () => {
    const d = dec('acme/gw01/state', [
      { state: 'down', ts: T - 3_600_000 },
      { state: 'Up', ts: T },
    ]);
    expect(d.kind).toBe('status');
    expect(d.statuses.map((s) => [s.meterId, s.state, s.tsMs])).toEqual([
      ['ast-3-m02', 'offline', T - 3_600_000],
      ['ekb-1-m04', 'offline', T - 3_600_000],
      ['ast-3-m02', 'online', T],
      ['ekb-1-m04', 'online', T],
    ]);
    expect(dec('acme/gw01/state', { state: 'rebooting', ts: T }).rejections[0]!.reason).toBe('invalid-status');
    expect(dec('acme/gw01/state', { state: 'DOWN', ts: NOW + 3_600_000 }).rejections[0]!.reason).toBe(
      'future-timestamp',
    );
  });

  it('an unregistered gateway id or channel is unknown-device', () => {
    expect(dec('acme/gw99/meter/1', reading(1, T / 1000)).rejections[0]).toMatchObject({ reason: 'unknown-device' });
    expect(dec('acme/gw01/meter/7', reading(1, T / 1000)).rejections[0]).toMatchObject({ reason: 'unknown-device' });
  });

  it('timestamp forms: ISO with offset, local wall time in the site zone, epoch ms, arrival', () => {
    const withForm = (form: string, pointer = '/time') =>
      registryWithDevices(
        DEVICES_YAML.replace(
          'timestamp: { pointer: /time, form: epoch-s }',
          `timestamp: { pointer: ${pointer}, form: ${form} }`,
        ),
      );
    const run = (form: string, time: unknown) =>
      decodeMessage('acme/gw01/meter/2', Buffer.from(JSON.stringify({ ...reading(1, 0), time })), {
        ...ctx,
        registry: withForm(form),
      });
    expect(run('iso', '2025-07-01T10:00:00+05:00').readings[0]!.tsMs).toBe(T);
    expect(run('iso', '2025-07-01T10:00:00').rejections[0]!.reason).toBe('bad-timestamp');
    expect(run('local', '2025-07-01T10:00:00').readings[0]!.tsMs).toBe(T);
    expect(run('local', '2025-07-01 10:00:00').readings[0]!.tsMs).toBe(T);
    expect(run('epoch-ms', T).readings[0]!.tsMs).toBe(T);
    expect(run('arrival', 'ignored').readings[0]!.tsMs).toBe(NOW);
  });
});

describe('our own JSON status (meters/{id}/status)', () => {
  const d = (payload: string) => decodeMessage('meters/ekb-1-m01/status', Buffer.from(payload), ctx);
  it('plain values any case, or JSON with its own time', () => {
    expect(d('Online').statuses[0]).toMatchObject({ state: 'online' });
    expect(d(' OFFLINE\n').statuses[0]).toMatchObject({ state: 'offline' });
    expect(d('{"state":"Offline","ts":"2025-07-01T09:00:00+05:00"}').statuses[0]).toEqual({
      meterId: 'ekb-1-m01',
      siteId: 'ekb-1',
      state: 'offline',
      tsMs: T - 3_600_000,
    });
    expect(d('{"state":"offline","ts":1751346000}').rejections[0]!.reason).toBe('invalid-status');
    expect(d('{"state":"asleep"}').rejections[0]!.reason).toBe('invalid-status');
  });
});
