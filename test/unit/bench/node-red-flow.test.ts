import { describe, expect, it } from 'vitest';
import { nodeRedFlow, nodeRedSettings, TO_POINTS_FUNCTION } from '../../../bench/node-red-flow.ts';

/** The Node-RED reference of issue 27's drain: mqtt in -> join 1,000 -> function -> influx batch. */
const flow = nodeRedFlow({
  broker: { host: '127.0.0.1', port: 41883 },
  clientId: 'drain-nodeRed-0-1',
  influx: { host: '127.0.0.1', port: 48086, database: 'bench_db' },
});
const byType = (type: string) => flow.filter((n) => n.type === type);
const one = (type: string) => {
  const found = byType(type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};

/** Node-RED runs a function node's body as `function (msg) { ... }`. */
const toPoints = new Function('msg', TO_POINTS_FUNCTION) as (msg: { payload: unknown[] }) => {
  payload: { measurement: string; tags: Record<string, string>; fields: Record<string, number>; timestamp: number }[];
} | null;

describe('bench: the Node-RED batch flow (issue 27)', () => {
  it('wires mqtt in -> join -> function -> influxdb batch, each node once', () => {
    const [input, join, fn, out] = ['mqtt in', 'join', 'function', 'influxdb batch'].map(one);
    expect(input!.wires).toEqual([[join!.id]]);
    expect(join!.wires).toEqual([[fn!.id]]);
    expect(fn!.wires).toEqual([[out!.id]]);
    expect(out!.wires).toEqual([]);
    const tab = one('tab');
    for (const n of [input, join, fn, out]) expect(n!.z).toBe(tab.id);
  });

  it('subscribes as the other consumers do: persistent session, fixed client id, QoS 1 on meters/#', () => {
    const broker = one('mqtt-broker');
    expect(broker).toMatchObject({
      broker: '127.0.0.1',
      port: '41883',
      clientid: 'drain-nodeRed-0-1',
      cleansession: false,
      // Node-RED unsubscribes on stop by default: the stopped session would then queue nothing.
      autoUnsubscribe: false,
      protocolVersion: '4',
    });
    expect(one('mqtt in')).toMatchObject({ topic: 'meters/#', qos: '1', datatype: 'json', broker: broker.id });
  });

  it('joins 1,000 complete messages (the topic names the meter), or what came in 1 s', () => {
    expect(one('join')).toMatchObject({ mode: 'custom', build: 'array', propertyType: 'full', count: '1000' });
    expect(one('join').timeout).toBe('1');
    const smaller = nodeRedFlow({
      broker: { host: 'h', port: 1 },
      clientId: 'c',
      influx: { host: 'h', port: 2, database: 'd' },
      joinCount: 50,
    });
    expect(smaller.find((n) => n.type === 'join')!.count).toBe('50');
  });

  it("writes through the v1 API to the bench's database at ms precision", () => {
    const cfg = one('influxdb');
    expect(cfg).toMatchObject({ hostname: '127.0.0.1', port: '48086', database: 'bench_db', influxdbVersion: '1.x' });
    expect(one('influxdb batch')).toMatchObject({ influxdb: cfg.id, precision: 'ms' });
  });

  it("maps readings to the minimal ingester's points and drops what fails its check", () => {
    const msg = (topic: string, payload: unknown) => ({ topic, payload });
    const out = toPoints({
      payload: [
        msg('meters/ekb-1-m01/reading', { ts: 1751328000000, kwh: 1000.055, kw: 198.5 }),
        msg('meters/ekb-1-m02/reading', { ts: 1751328001000, kwh: 0 }),
        msg('meters/ekb-1-m03/status', { ts: 1751328000000, kwh: 5 }), // not a reading topic
        msg('meters/ekb-1-m04/reading', { ts: '2025-07-01', kwh: 5 }), // ts not a number
        msg('meters/ekb-1-m05/reading', { ts: 1751328000000, kwh: -1 }), // negative register
        msg('meters/ekb-1-m06/reading', 'not json'), // a string the mqtt in node could not parse
      ],
    });
    expect(out!.payload).toEqual([
      { measurement: 'reading', tags: { meter: 'ekb-1-m01' }, fields: { wh: 1000055 }, timestamp: 1751328000000 },
      { measurement: 'reading', tags: { meter: 'ekb-1-m02' }, fields: { wh: 0 }, timestamp: 1751328001000 },
    ]);
  });

  it('sends nothing on when no message of the batch is a reading', () => {
    expect(toPoints({ payload: [{ topic: 'meters/x/status', payload: { state: 'online' } }] })).toBeNull();
  });

  it('settings: headless, no editor, no HTTP nodes, no credential secret, no telemetry', () => {
    const text = nodeRedSettings({ userDir: '/tmp/nr-user', uiPort: 41880 });
    const settings = new Function('module', `${text}; return module.exports;`)({ exports: {} }) as Record<
      string,
      unknown
    >;
    expect(settings).toMatchObject({
      uiHost: '127.0.0.1',
      uiPort: 41880,
      userDir: '/tmp/nr-user',
      flowFile: 'flows.json',
      httpAdminRoot: false,
      httpNodeRoot: false,
      credentialSecret: false,
      telemetry: { enabled: false },
    });
  });
});
