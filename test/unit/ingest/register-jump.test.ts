/**
 * Issue 22, item 4: a valid reading rejected as `unit-jump`. A meter replaced (118,472.5 kWh, then 112.5 kWh: a
 * register reset the ledger handles) was 1,053x below its last register, inside the old 900..1100 band, and with
 * up to 20 QoS 1 messages in flight it was compared with the live view's last *stored* register, updated only after
 * the write; run to run, 1 or 2 readings in 361,279 were lost that way. A check that rejects data must be certain:
 * the previous reading is the meter's previous one in arrival order (in-flight ones included), and a value is a
 * unit error only when, rescaled by 1000, it continues that reading within the meter's max load while the value as
 * sent does not.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { decodeMessage, type DecodeContext } from '../../../src/ingest/decode.ts';
import { createIngestMetrics } from '../../../src/ingest/metrics.ts';
import { createIngestPipeline } from '../../../src/ingest/pipeline.ts';
import { createLiveState } from '../../../src/live/live-state.ts';
import type { BatchWriter } from '../../../src/store/batch-writer.ts';
import { DEVICES_YAML, registryWithDevices } from './device-registry.ts';

const registry = registryWithDevices(DEVICES_YAML);
const NOW = Date.UTC(2025, 6, 1, 12);
const MIN = 60_000;
const METER = 'ekb-1-m01'; // max load 73.68 kW, every 60 s

function native(kwh: number, tsMs: number, prev?: { tsMs: number; registerWh: number }) {
  const ctx: DecodeContext = {
    registry,
    nowMs: NOW,
    maxPayloadBytes: 262_144,
    maxFutureSkewMs: 300_000,
    ...(prev && { lastReading: () => prev }),
  };
  return decodeMessage(`meters/${METER}/reading`, Buffer.from(JSON.stringify({ ts: tsMs, kwh })), ctx);
}

const prev = { tsMs: NOW - 2 * MIN, registerWh: 118_472_500 };
const cases = [
  { name: 'meter replaced: 118,472.5 kWh then 112.5 kWh (the issue) is a reset', kwh: 112.5, jump: false },
  { name: 'meter replaced at 118.2 kWh, 0.27 kWh under a /1000 continuation', kwh: 118.2, jump: false },
  { name: 'a normal step of 1.2 kWh', kwh: 118_473.7, jump: false },
  { name: 'Wh sent as kWh: 118,473,700 "kWh" (x1000 of a 1.2 kWh step)', kwh: 118_473_700, jump: true },
  { name: 'kWh sent as Wh-scaled: 118.4737 "kWh" (/1000 of a 1.2 kWh step)', kwh: 118.4737, jump: true },
  { name: 'x1000 but further than max load allows in 2 min: not certain', kwh: 118_490_000, jump: false },
];

describe('unit-jump only when certain (issue 22, item 4)', () => {
  it.each(cases)('$name', ({ kwh, jump }) => {
    const d = native(kwh, NOW - MIN / 2, prev);
    expect(d.rejections.map((r) => r.reason)).toEqual(jump ? ['unit-jump'] : []);
    expect(d.readings).toHaveLength(jump ? 0 : 1);
  });

  it('a real 1000x growth after a long silence is plausible as sent: accepted', () => {
    // 2 kWh, then 28 h at 71.4 kW (within the meter's 73.68 kW): 2,000 kWh, 1000x, inside the old 900..1100 band.
    const d = native(2000, NOW, { tsMs: NOW - 28 * 3_600_000, registerWh: 2_000 });
    expect(d.rejections).toEqual([]);
    // The same value 2 min after 2 kWh is Wh sent as kWh.
    expect(native(2000, NOW, { tsMs: NOW - 2 * MIN, registerWh: 2_000 }).rejections).toMatchObject([
      { reason: 'unit-jump' },
    ]);
  });

  it('within one batch the previous element is the previous reading', () => {
    const batch = [
      { ts: NOW - 3 * MIN, kwh: 118_472.5 },
      { ts: NOW - 2 * MIN, kwh: 112.5 },
      { ts: NOW - MIN, kwh: 113.7 },
    ];
    const d = decodeMessage(`meters/${METER}/reading`, Buffer.from(JSON.stringify(batch)), {
      registry,
      nowMs: NOW,
      maxPayloadBytes: 262_144,
      maxFutureSkewMs: 300_000,
      lastReading: () => ({ tsMs: NOW - 4 * MIN, registerWh: 118_471_300 }),
    });
    expect(d.rejections).toEqual([]);
    expect(d.readings.map((r) => r.registerWh)).toEqual([118_472_500, 112_500, 113_700]);
  });
});

describe('the previous reading in arrival order, in-flight ones included', () => {
  it('a reset followed by readings sent before the reset is stored: each compared with the one before it', async () => {
    const written: string[] = [];
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    const writer = {
      async write(lines: readonly string[]) {
        await held; // InfluxDB (or the spool) slow: 20 messages in flight, none stored yet
        written.push(...lines);
      },
      state: () => ({ pendingLines: 0, writing: false, consecutiveFailures: 0 }),
    } as unknown as BatchWriter;
    const live = createLiveState();
    live.onReading(
      { meterId: METER, siteId: 'ekb-1', tsMs: NOW - 30 * MIN, registerWh: 118_472_500, status: 'ok' },
      NOW,
    );
    const pipeline = createIngestPipeline({
      registry,
      writer,
      metrics: createIngestMetrics(),
      live,
      log: pino({ level: 'silent' }),
      maxPayloadBytes: 262_144,
      maxFutureSkewS: 300,
      rejectedPayloadMaxBytes: 1024,
      now: () => NOW,
    });
    // 20 in flight: the reset, then 19 readings rising from it; the live view still says 118,472.5 kWh.
    const sent = Array.from({ length: 20 }, (_, i) => ({ ts: NOW - (29 - i) * MIN, kwh: 112.5 + i * 1.2 }));
    const handled = sent.map((r) => pipeline.handle(`meters/${METER}/reading`, Buffer.from(JSON.stringify(r))));
    release();
    await Promise.all(handled);
    expect(written.filter((l) => l.startsWith('rejected,'))).toEqual([]);
    expect(written.filter((l) => l.startsWith('reading,'))).toHaveLength(20);
    pipeline.stop();
  });
});
