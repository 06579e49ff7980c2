/**
 * Issue 22, item 3: a 10 KB payload of 5,000 `[` and 5,000 `]` on meters/<id>/reading (far under the payload
 * bound) overflowed the stack in formats/collect.ts (JSON.stringify of the element for the rejection's detail):
 * no acknowledgement, no record, and a persistent session resent it forever. 2,000 deep was handled. JSON.parse
 * itself takes 100,000 deep in V8 (measured on Node 20: parse fine, JSON.stringify throws from about 5,000).
 * Every decoder must turn any depth into one rejection, `too-deep`, and never throw.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage, type DecodeContext } from '../../../src/ingest/decode.ts';
const MAX_JSON_DEPTH = 64;
import { DEVICES_YAML, registryWithDevices } from './device-registry.ts';

const registry = registryWithDevices(DEVICES_YAML);
const NOW = Date.UTC(2025, 6, 1, 12);
const ctx: DecodeContext = { registry, nowMs: NOW, maxPayloadBytes: 262_144, maxFutureSkewMs: 300_000 };

const arrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const objects = (depth: number, key = 'a') => `{"${key}":`.repeat(depth) + '1' + '}'.repeat(depth);

/** One topic per decoder; `wrap` puts the deep value where that format looks first. */
const topics = [
  { format: 'native reading', topic: 'meters/ekb-1-m01/reading', meter: 'ekb-1-m01' },
  { format: 'native status', topic: 'meters/ekb-1-m01/status', meter: 'ekb-1-m01' },
  { format: 'tasmota SENSOR', topic: 'tele/tasmota_5C1A2B/SENSOR', meter: 'ekb-1-m05' },
  { format: 'shelly events/rpc', topic: 'shellyproem50-08f9e0e67204/events/rpc', meter: 'kpg-2-m01' },
  { format: 'shelly status', topic: 'shellyproem50-08f9e0e67204/status/em1data:1', meter: 'kpg-2-m01' },
  { format: 'mapped reading', topic: 'acme/gw01/meter/1', meter: 'ast-3-m02' },
  { format: 'mapped status', topic: 'acme/gw01/state', meter: 'ast-3-m02' },
];
const shapes = [
  { shape: '5,000 [ then 5,000 ] (the issue)', payload: arrays(5000) },
  { shape: '100,000 deep arrays', payload: arrays(100_000) },
  { shape: '5,000 deep objects', payload: objects(5000) },
  { shape: '40,000 deep objects (200 KB, under the payload bound)', payload: objects(40_000) },
  { shape: 'deep value under a real key', payload: `{"ENERGY":${objects(20_000, 'Total')}}` },
  { shape: 'deep value in a batch element', payload: `[{"ts":1,"kwh":1},${arrays(20_000)}]` },
];
// A native status is JSON only when it starts with `{`; other text is read as online/offline.
const cases = topics.flatMap((t) =>
  shapes.map((s) => ({
    ...t,
    ...s,
    reason: t.format === 'native status' && s.payload.startsWith('[') ? 'invalid-status' : 'too-deep',
  })),
);

describe('deep nesting: one too-deep rejection, never a throw (issue 22, item 3)', () => {
  it.each(cases)('$format: $shape -> $reason', ({ topic, meter, payload, reason }) => {
    expect(payload.length).toBeLessThanOrEqual(ctx.maxPayloadBytes);
    const d = decodeMessage(topic, Buffer.from(payload), ctx);
    expect(d.readings).toEqual([]);
    expect(d.rejections).toEqual([{ reason, count: 1, meterId: meter, detail: expect.any(String) }]);
    if (reason === 'too-deep') expect(d.rejections[0]!.detail).toMatch(`deeper than ${MAX_JSON_DEPTH} levels`);
  });

  it(`${MAX_JSON_DEPTH} levels are decoded as before (only deeper is refused)`, () => {
    // A deep but bounded array of arrays is still a schema error, with its own words.
    const d = decodeMessage('meters/ekb-1-m01/reading', Buffer.from(arrays(MAX_JSON_DEPTH)), ctx);
    expect(d.rejections).toMatchObject([{ reason: 'schema', count: 1 }]);
    const ok = decodeMessage(
      'meters/ekb-1-m01/reading',
      Buffer.from(JSON.stringify({ ts: NOW - 60_000, kwh: 12.5 })),
      ctx,
    );
    expect(ok.readings).toHaveLength(1);
  });

  it('brackets inside strings do not count as depth', () => {
    const text = '['.repeat(10_000);
    const d = decodeMessage(
      'meters/ekb-1-m01/reading',
      Buffer.from(JSON.stringify({ ts: NOW - 60_000, kwh: 12.5, status: text })),
      ctx,
    );
    expect(d.rejections).toMatchObject([{ reason: 'schema' }]);
  });
});
