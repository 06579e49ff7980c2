/**
 * Shelly Gen2+ fixtures written from the Shelly API documentation (shelly-api-docs.shelly.cloud/gen2):
 * "MQTT" (status of a component on <topic_prefix>/status/<component:id> with status_ntf, notifications on
 * <topic_prefix>/events/rpc, <topic_prefix>/online true/false), "Notifications" (NotifyStatus params.ts is a
 * Unix time in UTC, and only changed attributes may be present), components EM1Data (total_act_energy, Wh),
 * EMData (a_/b_/c_total_act_energy and total_act, Wh) and Switch (aenergy.total, Wh; by_minute, minute_ts),
 * plus a Pro EM-50 status quoted in evcc-io/evcc discussion 12385.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../src/ingest/decode.ts';
import { DEVICES_YAML, registryWithDevices } from './device-registry.ts';

const registry = registryWithDevices(DEVICES_YAML);
const NOW = Date.UTC(2025, 6, 1, 6, 0, 0);
const ctx = { registry, nowMs: NOW, maxPayloadBytes: 64 * 1024, maxFutureSkewMs: 300_000 };
const dec = (topic: string, payload: unknown, extra = {}) =>
  decodeMessage(topic, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)), {
    ...ctx,
    ...extra,
  });
const PRO_EM = 'shellyproem50-08f9e0e67204';
const PRO_3EM = 'shellypro3em-a8032ab12345';
const PLUS_1PM = 'site/ast/shellyplus1pm-441793a1b2c3';

describe('shelly-gen2', () => {
  it('EM: status/em1data:1 total_act_energy in Wh, stamped on arrival (the status has no time)', () => {
    const d = dec(`${PRO_EM}/status/em1data:1`, { id: 1, total_act_energy: 6644.9, total_act_ret_energy: 2595.26 });
    expect(d.rejections).toEqual([]);
    expect(d.readings).toEqual([{ meterId: 'kpg-2-m01', siteId: 'kpg-2', tsMs: NOW, registerWh: 6645, status: 'ok' }]);
    // the other channel of the same device feeds no meter here
    expect(
      dec(`${PRO_EM}/status/em1data:0`, { id: 0, total_act_energy: 0, total_act_ret_energy: 0 }).ignored?.reason,
    ).toBe('not-metering');
  });

  it('3EM: emdata:0 total_act for the total, emdata:0.b the phase B register', () => {
    const d = dec(`${PRO_3EM}/status/emdata:0`, {
      id: 0,
      a_total_act_energy: 1500.12,
      a_total_act_ret_energy: 0,
      b_total_act_energy: 1700.4,
      b_total_act_ret_energy: 0,
      c_total_act_energy: 1299.84,
      c_total_act_ret_energy: 0,
      total_act: 4500.36,
      total_act_ret: 0,
    });
    expect(d.readings.map((r) => [r.meterId, r.registerWh])).toEqual([
      ['kpg-2-m02', 4500],
      ['kpg-2-m03', 1700],
    ]);
  });

  it('PM: a NotifyStatus on events/rpc carries its Unix time (s, UTC) and aenergy.total (Wh), apower (W)', () => {
    const d = dec(`${PLUS_1PM}/events/rpc`, {
      src: 'shellyplus1pm-441793a1b2c3',
      dst: `${PLUS_1PM}/events`,
      method: 'NotifyStatus',
      params: {
        ts: 1751349600.52,
        'switch:0': {
          id: 0,
          apower: 2950.4,
          aenergy: { total: 1001.234, by_minute: [49.1, 49.2, 49.0], minute_ts: 1751349540 },
        },
      },
    });
    expect(d.readings).toEqual([
      { meterId: 'ast-3-m01', siteId: 'ast-3', tsMs: 1_751_349_600_520, registerWh: 1001, kw: 2.9504, status: 'ok' },
    ]);
  });

  it('a NotifyStatus with only what changed (no aenergy), a NotifyEvent and sys status are not-metering', () => {
    const partial = { method: 'NotifyStatus', params: { ts: 1751349600.1, 'switch:0': { id: 0, apower: 12.3 } } };
    expect(dec(`${PLUS_1PM}/events/rpc`, partial).ignored?.reason).toBe('not-metering');
    const event = {
      method: 'NotifyEvent',
      params: { ts: 1751349600.1, events: [{ component: 'input:0', event: 'single_push' }] },
    };
    expect(dec(`${PLUS_1PM}/events/rpc`, event).ignored?.reason).toBe('not-metering');
    expect(dec(`${PLUS_1PM}/status/sys`, { mac: 'A8032AB12345', uptime: 28980 }).ignored?.reason).toBe('not-metering');
  });

  it('a counter that reset on reboot is stored (the ledger sees a register reset), not taken for a unit error', () => {
    const d = dec(
      `${PLUS_1PM}/status/switch:0`,
      { id: 0, output: true, apower: 10, aenergy: { total: 0.5, by_minute: [0, 0, 0], minute_ts: 1751349540 } },
      { lastReading: () => ({ tsMs: NOW - 60_000, registerWh: 1001 }) },
    );
    expect(d.rejections).toEqual([]);
    expect(d.readings[0]!.registerWh).toBe(1);
  });

  it('online true / false is the status of every meter the device feeds', () => {
    expect(dec(`${PRO_3EM}/online`, 'false').statuses.map((s) => [s.meterId, s.state])).toEqual([
      ['kpg-2-m02', 'offline'],
      ['kpg-2-m03', 'offline'],
    ]);
    expect(dec(`${PRO_EM}/online`, 'true').statuses[0]).toMatchObject({ meterId: 'kpg-2-m01', state: 'online' });
    expect(dec(`${PRO_EM}/online`, 'maybe').rejections[0]).toMatchObject({ reason: 'invalid-status' });
  });

  it('an unregistered Shelly is rejected as unknown-device; malformed payloads get their reason', () => {
    expect(dec('shellypro3em-ffffffffffff/status/emdata:0', { total_act: 1 }).rejections[0]).toMatchObject({
      reason: 'unknown-device',
    });
    expect(dec(`${PRO_EM}/status/em1data:1`, '{"id":1,').rejections[0]!.reason).toBe('invalid-json');
    expect(dec(`${PRO_EM}/status/em1data:1`, { id: 1, total_act_energy: 'lots' }).rejections[0]!.reason).toBe('schema');
    const badTs = { method: 'NotifyStatus', params: { ts: 'now', 'switch:0': { aenergy: { total: 1 } } } };
    expect(dec(`${PLUS_1PM}/events/rpc`, badTs).rejections[0]!.reason).toBe('bad-timestamp');
  });
});
