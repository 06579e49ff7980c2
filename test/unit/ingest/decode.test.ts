import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../src/ingest/decode.ts';
import { loadRegistry } from '../../../src/registry/load.ts';
import { DEVICES_DIR } from '../../helpers/service.ts';

const registry = loadRegistry(DEVICES_DIR);
const NOW = Date.UTC(2025, 8, 1);
const ctx = { registry, nowMs: NOW, maxPayloadBytes: 1024, maxFutureSkewMs: 300_000 };
const dec = (topic: string, payload: string) => decodeMessage(topic, Buffer.from(payload), ctx);

describe('decodeMessage', () => {
  it('converts kWh with 3 decimals to exact integer Wh and accepts ISO or epoch ms', () => {
    const d = dec(
      'meters/ekb-1-m01/reading',
      JSON.stringify([
        { ts: '2025-08-01T05:00:00+05:00', kwh: 12345.678, kw: 70.5 },
        { ts: NOW - 1000, kwh: 0.001, status: 'fault' },
      ]),
    );
    expect(d.rejections).toEqual([]);
    expect(d.readings).toEqual([
      {
        meterId: 'ekb-1-m01',
        siteId: 'ekb-1',
        tsMs: Date.UTC(2025, 7, 1, 0),
        registerWh: 12_345_678,
        kw: 70.5,
        status: 'ok',
      },
      { meterId: 'ekb-1-m01', siteId: 'ekb-1', tsMs: NOW - 1000, registerWh: 1, status: 'fault' },
    ]);
  });

  it.each([
    ['a local time without zone', { ts: '2025-08-01T05:00:00', kwh: 1 }, 'schema', /zone/],
    ['epoch seconds', { ts: 1_754_000_000, kwh: 1 }, 'schema', /seconds instead of milliseconds/],
    ['an unknown field', { ts: NOW, kwh: 1, volts: 230 }, 'schema', /volts/],
    ['a bad status', { ts: NOW, kwh: 1, status: 'broken' }, 'schema', /status/],
    ['a future timestamp', { ts: NOW + 301_000, kwh: 1 }, 'future-timestamp', /ahead of server time/],
  ])('rejects %s', (_n, payload, reason, detail) => {
    const d = dec('meters/ekb-1-m01/reading', JSON.stringify(payload));
    expect(d.readings).toEqual([]);
    expect(d.rejections).toHaveLength(1);
    expect(d.rejections[0]!.reason).toBe(reason);
    expect(d.rejections[0]!.detail).toMatch(detail);
  });

  it('keeps implausible but well-formed readings (register going backwards) for the fee engine to judge', () => {
    const d = dec(
      'meters/ekb-1-m01/reading',
      JSON.stringify([
        { ts: NOW - 120_000, kwh: 500 },
        { ts: NOW - 60_000, kwh: 10 },
      ]),
    );
    expect(d.readings.map((r) => r.registerWh)).toEqual([500_000, 10_000]);
  });

  it('tells topics apart: status, unknown meter, foreign topics, invalid UTF-8', () => {
    expect(dec('meters/ekb-1-m01/status', 'offline').statuses[0]).toMatchObject({ state: 'offline', siteId: 'ekb-1' });
    expect(dec('meters/x/reading', '{}').rejections[0]!.reason).toBe('unknown-meter');
    expect(dec('meters/ekb-1-m01/power', '{}').ignored?.reason).toBe('unknown-topic');
    // The topic is read without a regex since issue 27: exactly meters/{one level}/reading|status.
    for (const t of [
      'meters//reading',
      'meters/a/b/reading',
      'meters/ekb-1-m01/readings',
      'meters/ekb-1-m01/reading/',
      'meters/status',
    ])
      expect(dec(t, '{}').ignored?.reason, t).toBe('unknown-topic');
    expect(decodeMessage('meters/ekb-1-m01/reading', Buffer.from([0xff, 0xfe]), ctx).rejections[0]!.reason).toBe(
      'invalid-utf8',
    );
    expect(dec('meters/ekb-1-m01/reading', '[]').rejections[0]!.reason).toBe('empty-batch');
  });
});
