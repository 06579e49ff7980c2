/**
 * Tasmota fixtures written from the Tasmota documentation (tasmota/docs, docs/MQTT.md: "Telemetry data will be
 * sent by prefix tele like tele/tasmota/SENSOR {"Time":"2017-02-16T10:13:52", ...}", FullTopic %prefix%/%topic%/,
 * LWT Online/Offline; docs/Commands.md: SetOption52 adds the time zone offset to Time, EnergyTotal/TotalStartTime
 * reset the counter) and a multi-channel Sonoff Dual R3 payload quoted in arendst/Tasmota issue 18385
 * ("Total":[0.000,2.910]).
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../src/ingest/decode.ts';
import { DEVICES_YAML, registryWithDevices } from './device-registry.ts';

const registry = registryWithDevices(DEVICES_YAML);
const NOW = Date.UTC(2025, 6, 1, 6, 0, 0);
const ctx = { registry, nowMs: NOW, maxPayloadBytes: 64 * 1024, maxFutureSkewMs: 300_000 };
const dec = (topic: string, payload: unknown) =>
  decodeMessage(topic, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)), ctx);

const POW_R2 = {
  Time: '2025-07-01T10:00:00',
  ENERGY: {
    TotalStartTime: '2024-11-03T09:12:45',
    Total: 1234.567,
    Yesterday: 71.2,
    Today: 40.104,
    Period: 12,
    Power: 2970,
    ApparentPower: 3010,
    ReactivePower: 480,
    Factor: 0.99,
    Voltage: 229,
    Current: 13.14,
  },
};

describe('tasmota', () => {
  it('SENSOR: Total kWh -> Wh, local Time without offset read in the site zone (Asia/Almaty, +05:00), Power -> kW', () => {
    const d = dec('tele/tasmota_5C1A2B/SENSOR', POW_R2);
    expect(d.rejections).toEqual([]);
    expect(d.readings).toEqual([
      {
        meterId: 'ekb-1-m05',
        siteId: 'ekb-1',
        tsMs: Date.UTC(2025, 6, 1, 5, 0, 0),
        registerWh: 1_234_567,
        kw: 2.97,
        status: 'ok',
      },
    ]);
  });

  it('SetOption52: a Time with its offset is taken as is', () => {
    const d = dec('tele/tasmota_5C1A2B/SENSOR', { ...POW_R2, Time: '2025-07-01T09:00:00+04:00' });
    expect(d.readings[0]!.tsMs).toBe(Date.UTC(2025, 6, 1, 5, 0, 0));
  });

  it.each([
    ['no NTP time yet (1970)', { ...POW_R2, Time: '1970-01-01T00:33:28' }],
    ['no Time at all', { ENERGY: POW_R2.ENERGY }],
  ])('%s: stamped on arrival (telemetry is sent live)', (_n, payload) => {
    expect(dec('tele/tasmota_5C1A2B/SENSOR', payload).readings[0]!.tsMs).toBe(NOW);
  });

  it('multi-channel Total array: channel N reads element N, meters of one device each get theirs', () => {
    const d = dec('tele/tasmota_DUALR3/SENSOR', {
      Time: '2025-07-01T10:00:00',
      ENERGY: { TotalStartTime: '1970-01-14T15:24:55', Total: [0.0, 2.91], Yesterday: [0, 1.563], Power: [0, 410] },
    });
    expect(d.readings.map((r) => [r.meterId, r.registerWh, r.kw])).toEqual([
      ['ekb-1-m06', 0, 0],
      ['ekb-1-m07', 2910, 0.41],
    ]);
  });

  it('a counter reset (EnergyTotal 0, new TotalStartTime) is stored: the ledger judges it a register reset', () => {
    const d = decodeMessage(
      'tele/tasmota_5C1A2B/SENSOR',
      Buffer.from(
        JSON.stringify({
          ...POW_R2,
          ENERGY: { ...POW_R2.ENERGY, TotalStartTime: '2025-07-01T09:59:00', Total: 0.012 },
        }),
      ),
      { ...ctx, lastReading: () => ({ tsMs: ctx.nowMs - 60_000, registerWh: 1_234_567 }) },
    );
    expect(d.rejections).toEqual([]);
    expect(d.readings[0]!.registerWh).toBe(12);
  });

  it('LWT Online / Offline, any case, as the broker-published will', () => {
    expect(dec('tele/tasmota_5C1A2B/LWT', 'Offline').statuses).toEqual([
      { meterId: 'ekb-1-m05', siteId: 'ekb-1', state: 'offline' },
    ]);
    expect(dec('tele/tasmota_DUALR3/LWT', 'online').statuses.map((s) => [s.meterId, s.state])).toEqual([
      ['ekb-1-m06', 'online'],
      ['ekb-1-m07', 'online'],
    ]);
    expect(dec('tele/tasmota_5C1A2B/LWT', 'Sleeping').rejections[0]).toMatchObject({ reason: 'invalid-status' });
  });

  it('STATE and stat/ topics of a known device are ignored as not-metering; an unknown device id is rejected', () => {
    expect(dec('tele/tasmota_5C1A2B/STATE', { Time: '2025-07-01T10:00:00', Uptime: '0T13:20:12' }).ignored).toEqual({
      reason: 'not-metering',
      detail: expect.stringContaining('tasmota_5C1A2B'),
    });
    expect(dec('stat/tasmota_5C1A2B/RESULT', { POWER: 'ON' }).ignored?.reason).toBe('not-metering');
    expect(dec('tele/tasmota_FFFFFF/SENSOR', POW_R2).rejections[0]).toMatchObject({ reason: 'unknown-device' });
  });

  it.each([
    ['not JSON', '{"Time":"2025-07-01T10:00:00","ENERGY":{', 'invalid-json'],
    ['no ENERGY (a temperature sensor)', { Time: '2025-07-01T10:00:00', DS18B20: { Temperature: 20.6 } }, 'schema'],
    ['Total not a number', { Time: '2025-07-01T10:00:00', ENERGY: { Total: 'n/a' } }, 'schema'],
    ['a malformed Time', { Time: 'yesterday', ENERGY: { Total: 1 } }, 'bad-timestamp'],
  ])('rejects %s with a reason', (_n, payload, reason) => {
    const d = dec('tele/tasmota_5C1A2B/SENSOR', payload);
    expect(d.readings).toEqual([]);
    expect(d.rejections[0]!.reason).toBe(reason);
  });
});
