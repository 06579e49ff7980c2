import { describe, expect, it } from 'vitest';
import {
  canPublish,
  canSubscribe,
  canWill,
  canRetain,
  clientIdAllowed,
  type DeviceTopics,
  type Principal,
} from '../../../src/auth/mqtt-acl.ts';

const meter: Principal = { id: 'm1', kind: 'meter', meters: new Set(['m1']), hash: 'h' };
const gateway: Principal = { id: 'gw', kind: 'gateway', meters: new Set(['m2', 'm3']), hash: 'h' };
const monitor: Principal = { id: 'mon', kind: 'monitor', meters: new Set(), hash: 'h' };
const lab: Principal = { kind: 'lab' };

describe('MQTT topic rights', () => {
  it.each([
    { name: 'meter, own reading', p: meter, topic: 'meters/m1/reading', ok: true },
    { name: 'meter, own status', p: meter, topic: 'meters/m1/status', ok: true },
    { name: "meter, another meter's reading", p: meter, topic: 'meters/m2/reading', reason: 'not-own-topic' },
    { name: 'meter, id prefix is not the id', p: meter, topic: 'meters/m1x/reading', reason: 'not-own-topic' },
    { name: 'meter, bare meters/m1', p: meter, topic: 'meters/m1', reason: 'not-own-topic' },
    { name: 'meter, outside meters/', p: meter, topic: 'other/m1/reading', reason: 'not-own-topic' },
    { name: 'gateway, its meter', p: gateway, topic: 'meters/m3/reading', ok: true },
    { name: 'gateway, not its meter', p: gateway, topic: 'meters/m1/reading', reason: 'not-own-topic' },
    { name: 'gateway, own tree', p: gateway, topic: 'gateways/gw/status', ok: true },
    { name: "gateway, another gateway's tree", p: gateway, topic: 'gateways/gw2/status', reason: 'not-own-topic' },
    { name: 'monitor publishes nothing', p: monitor, topic: 'meters/m1/reading', reason: 'read-only' },
    { name: '$SYS reserved even in labs', p: lab, topic: '$SYS/x', reason: 'reserved-topic' },
    { name: 'lab publishes anything else', p: lab, topic: 'meters/m9/reading', ok: true },
  ])('publish: $name', ({ p, topic, ok, reason }) => {
    expect(canPublish(p, topic)).toEqual(ok ? { ok: true } : { ok: false, reason });
  });

  it.each([
    { name: 'meter, own status', p: meter, topic: 'meters/m1/status', ok: true },
    { name: "meter, another meter's status (fake offline)", p: meter, topic: 'meters/m2/status', ok: false },
    { name: 'meter, own reading topic is no status', p: meter, topic: 'meters/m1/reading', ok: false },
    { name: "gateway, its meter's status", p: gateway, topic: 'meters/m2/status', ok: true },
    { name: 'gateway, own status', p: gateway, topic: 'gateways/gw/status', ok: true },
    { name: 'gateway, foreign meter status', p: gateway, topic: 'meters/m1/status', ok: false },
    { name: 'monitor has no will', p: monitor, topic: 'meters/m1/status', ok: false },
  ])('will: $name', ({ p, topic, ok }) => {
    expect(canWill(p, topic).ok).toBe(ok);
  });

  it.each([
    { name: 'meter, own tree', p: meter, filter: 'meters/m1/#', ok: true },
    { name: 'meter, own command topic', p: meter, filter: 'meters/m1/cmd', ok: true },
    { name: 'meter, everything', p: meter, filter: '#', ok: false },
    { name: 'meter, every meter', p: meter, filter: 'meters/+/reading', ok: false },
    { name: 'meter, meters/#', p: meter, filter: 'meters/#', ok: false },
    { name: 'meter, another meter', p: meter, filter: 'meters/m2/#', ok: false },
    { name: 'gateway, its meter', p: gateway, filter: 'meters/m2/#', ok: true },
    { name: 'gateway, +/m2 wildcard in first level', p: gateway, filter: '+/m2/reading', ok: false },
    { name: 'monitor, everything', p: monitor, filter: '#', ok: true },
  ])('subscribe: $name', ({ p, filter, ok }) => {
    expect(canSubscribe(p, filter).ok).toBe(ok);
  });

  // Vendor-format devices (devices.yaml): a Tasmota plug carrying m1, a Shelly 3EM carrying m2 and m3.
  const devices: DeviceTopics = (topic) =>
    ({
      'tele/plug1/SENSOR': { meters: ['m1'], status: false },
      'tele/plug1/LWT': { meters: ['m1'], status: true },
      'shelly3em/status/emdata:0': { meters: ['m2', 'm3'], status: false },
      'shelly3em/online': { meters: ['m2', 'm3'], status: true },
    })[topic];
  const halfGateway: Principal = { id: 'gw2', kind: 'gateway', meters: new Set(['m2']), hash: 'h' };

  it.each([
    { name: "meter, its own device's telemetry", p: meter, topic: 'tele/plug1/SENSOR', ok: true },
    { name: "meter, another meter's device", p: meter, topic: 'shelly3em/status/emdata:0', ok: false },
    { name: 'gateway, a device of its meters', p: gateway, topic: 'shelly3em/status/emdata:0', ok: true },
    { name: 'gateway owning only part of a device', p: halfGateway, topic: 'shelly3em/status/emdata:0', ok: false },
    { name: 'meter, a topic no device reads', p: meter, topic: 'tele/other/SENSOR', ok: false },
  ])('device topics, publish: $name', ({ p, topic, ok }) => {
    expect(canPublish(p, topic, devices).ok).toBe(ok);
  });

  it.each([
    { name: "meter, its device's LWT", p: meter, topic: 'tele/plug1/LWT', ok: true },
    { name: "meter, its device's telemetry is no will", p: meter, topic: 'tele/plug1/SENSOR', ok: false },
    { name: "gateway, its device's online topic", p: gateway, topic: 'shelly3em/online', ok: true },
    { name: "meter, another's device online topic", p: meter, topic: 'shelly3em/online', ok: false },
  ])('device topics, will: $name', ({ p, topic, ok }) => {
    expect(canWill(p, topic, devices).ok).toBe(ok);
  });

  it('a client id naming another identity or meter is refused (no session take-over)', () => {
    const m = (meterId: string) => ({ kind: 'meter', meterId }) as const;
    expect(clientIdAllowed(meter, m('m1'))).toBe(true);
    expect(clientIdAllowed(meter, m('m2'))).toBe(false);
    expect(clientIdAllowed(meter, undefined)).toBe(true);
    expect(clientIdAllowed(gateway, m('m2'))).toBe(true);
    expect(clientIdAllowed(gateway, m('m1'))).toBe(false);
    expect(clientIdAllowed(gateway, { kind: 'identity', identityId: 'gw' })).toBe(true);
  });

  it("F1: a client id bound to another identity (first use or declared) or the service's own is refused", () => {
    expect(clientIdAllowed(meter, { kind: 'identity', identityId: 'm5' })).toBe(false);
    expect(clientIdAllowed(meter, { kind: 'identity', identityId: 'm1' })).toBe(true);
    expect(clientIdAllowed(meter, { kind: 'service' })).toBe(false);
    expect(clientIdAllowed({ kind: 'lab' }, { kind: 'service' })).toBe(true);
  });

  it.each([
    { name: 'own status, accepted', p: meter, topic: 'meters/m1/status', bytes: 7, accepted: true, ok: true },
    { name: 'own status, rejected payload', p: meter, topic: 'meters/m1/status', bytes: 7, accepted: false, ok: false },
    {
      name: 'own status, above the bound',
      p: meter,
      topic: 'meters/m1/status',
      bytes: 1025,
      accepted: true,
      ok: false,
    },
    { name: 'own status cleared (empty)', p: meter, topic: 'meters/m1/status', bytes: 0, accepted: false, ok: true },
    { name: 'own reading topic', p: meter, topic: 'meters/m1/reading', bytes: 7, accepted: true, ok: false },
    {
      name: 'F2: own tree, any topic (y<n>)',
      p: meter,
      topic: 'meters/m1/y1',
      bytes: 204_800,
      accepted: false,
      ok: false,
    },
    { name: "another meter's status", p: meter, topic: 'meters/m2/status', bytes: 7, accepted: true, ok: false },
    { name: "device's LWT", p: meter, topic: 'tele/plug1/LWT', bytes: 7, accepted: true, ok: true },
    {
      name: 'lab, any status topic',
      p: { kind: 'lab' } as const,
      topic: 'meters/x/status',
      bytes: 7,
      accepted: true,
      ok: true,
    },
    { name: 'lab, a non-status topic', p: { kind: 'lab' } as const, topic: 'a/b', bytes: 7, accepted: true, ok: false },
  ])('retain: $name -> $ok', ({ p, topic, bytes, accepted, ok }) => {
    expect(canRetain(p, topic, bytes, { maxBytes: 1024, accepted, devices }).ok).toBe(ok);
  });
});
