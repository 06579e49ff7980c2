/** decodeMessage is total and bounded on any input, in every format (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../src/ingest/decode.ts';
import { DEVICES_YAML, registryWithDevices } from './device-registry.ts';

const registry = registryWithDevices(DEVICES_YAML);
const ctx = {
  registry,
  nowMs: Date.UTC(2025, 6, 1, 6),
  maxPayloadBytes: 64 * 1024,
  maxFutureSkewMs: 300_000,
  lastReading: () => ({ tsMs: Date.UTC(2025, 6, 1, 5, 59), registerWh: 5_000_000 }),
};
const TOPICS = [
  'meters/ekb-1-m01/reading',
  'meters/ekb-1-m01/status',
  'tele/tasmota_5C1A2B/SENSOR',
  'tele/tasmota_DUALR3/LWT',
  'tele/unknown/SENSOR',
  'shellypro3em-a8032ab12345/status/emdata:0',
  'shellypro3em-a8032ab12345/events/rpc',
  'site/ast/shellyplus1pm-441793a1b2c3/online',
  'acme/gw01/meter/1',
  'acme/gw01/state',
  'acme/gw02/meter/1',
  'random/topic',
];
// Shapes near the real ones, so the fuzzer reaches past the first checks.
const near = fc.oneof(
  fc.record({
    Time: fc.oneof(fc.string(), fc.integer()),
    ENERGY: fc.record({ Total: fc.jsonValue(), Power: fc.jsonValue() }),
  }),
  fc.record({
    method: fc.constantFrom('NotifyStatus', 'NotifyFullStatus', 'x'),
    params: fc.dictionary(fc.constantFrom('ts', 'emdata:0', 'switch:0'), fc.jsonValue()),
  }),
  fc.record({
    time: fc.oneof(fc.integer(), fc.double(), fc.string()),
    energy: fc.record({ import: fc.jsonValue(), unit: fc.constantFrom('kWh', 'Wh', 'kvarh', 'MWH') }),
  }),
  fc.record({
    ts: fc.oneof(fc.integer(), fc.string()),
    kwh: fc.jsonValue(),
    state: fc.constantFrom('DOWN', 'up', 'Offline', 'x'),
  }),
);
const payload = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
  near.map((v) => JSON.stringify(v)),
  fc.array(near, { maxLength: 20 }).map((v) => JSON.stringify(v)),
  fc.string(),
  fc.uint8Array({ maxLength: 200 }),
);

describe('decodeMessage on arbitrary input', () => {
  it('never throws, and its output is bounded by the input', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TOPICS), payload, (topic, p) => {
        const bytes = typeof p === 'string' ? Buffer.from(p) : p;
        const d = decodeMessage(topic, bytes, ctx);
        // at most one group per (reason, meter): 16 reasons x 2 meters of a device
        expect(d.rejections.length).toBeLessThanOrEqual(32);
        expect(d.readings.length).toBeLessThanOrEqual(Math.max(2, bytes.byteLength));
        for (const r of d.readings) {
          expect(Number.isSafeInteger(r.registerWh) && r.registerWh >= 0).toBe(true);
          expect(Number.isSafeInteger(r.tsMs)).toBe(true);
        }
        for (const s of d.statuses) if (s.tsMs !== undefined) expect(Number.isSafeInteger(s.tsMs)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
