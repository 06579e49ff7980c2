import { describe, expect, it } from 'vitest';
import { readingPayloadSchema } from '../../../src/formats/payload-schema.ts';
import { GARBAGE_VARIANTS, garbagePayload } from '../../../simulator/garbage.ts';
import { collect, oneMeterDay, planOf, publishes, readingsOf } from './helpers.ts';

const T = (hhmm: string) => `2025-07-01T${hhmm}:00+05:00`;
const ms = (hhmm: string) => Date.parse(T(hhmm));
const readingMsgs = (plan: ReturnType<typeof oneMeterDay>) =>
  publishes(collect(plan)).filter((m) => m.topic === 'meters/ekb-1-m01/reading');

/** Decodes a payload the way the service's schema does: undefined when rejected. */
function accepts(payload: string | Uint8Array): boolean {
  if (typeof payload !== 'string') return false;
  try {
    const doc: unknown = JSON.parse(payload);
    const items = Array.isArray(doc) ? doc : [doc];
    return items.length > 0 && items.every((i) => readingPayloadSchema.safeParse(i).success);
  } catch {
    return false;
  }
}

describe('failure kinds', () => {
  it('silent outage: no readings inside the window, the register kept counting', () => {
    const rs = readingsOf(
      collect(oneMeterDay([{ kind: 'outage', meter: 'ekb-1-m01', at: T('06:00'), durationMin: 60 }])),
      'ekb-1-m01',
    );
    expect(rs.filter((r) => r.tsMs >= ms('06:00') && r.tsMs < ms('07:00'))).toHaveLength(0);
    const before = rs.find((r) => r.tsMs === ms('05:55'))!;
    const after = rs.find((r) => r.tsMs === ms('07:00'))!;
    expect(after.registerWh - before.registerWh).toBeGreaterThan(60_000); // ~65 min at ~70 kW
  });

  it('outage with last will: drop, reconnect and a retained online, nothing in between', () => {
    const msgs = collect(oneMeterDay([{ kind: 'outage-will', meter: 'ekb-1-m01', at: T('06:00'), durationMin: 30 }]));
    const drop = msgs.find((m) => m.type === 'drop')!;
    const back = msgs.find((m) => m.type === 'reconnect')!;
    expect([drop.atMs, back.atMs]).toEqual([ms('06:00'), ms('06:30')]);
    const i = msgs.indexOf(back);
    expect(msgs[i + 1]).toMatchObject({
      type: 'publish',
      topic: 'meters/ekb-1-m01/status',
      payload: 'online',
      retain: true,
      qos: 1,
    });
    expect(publishes(msgs).filter((m) => m.atMs > drop.atMs && m.atMs < back.atMs)).toHaveLength(0);
  });

  it('store-and-forward: one array with every buffered reading, sent when the link is back', () => {
    const msgs = readingMsgs(
      oneMeterDay([{ kind: 'store-and-forward', meter: 'ekb-1-m01', at: T('06:00'), durationMin: 60 }]),
    );
    const flush = msgs.filter((m) => m.kind === 'flush');
    expect(flush).toHaveLength(1);
    const arr = JSON.parse(flush[0]!.payload as string) as { ts: string; kwh: number }[];
    expect(arr).toHaveLength(12);
    expect(Date.parse(arr[0]!.ts)).toBe(ms('06:00'));
    expect(flush[0]!.atMs).toBe(ms('07:00'));
    expect(accepts(flush[0]!.payload)).toBe(true);
    expect(msgs.filter((m) => m.kind === 'reading' && m.atMs >= ms('06:00') && m.atMs < ms('07:00'))).toHaveLength(0);
  });

  it("register reset: the register drops to the new meter's start value", () => {
    const rs = readingsOf(
      collect(oneMeterDay([{ kind: 'reset', meter: 'ekb-1-m01', at: T('09:00'), newRegisterKwh: 0 }])),
      'ekb-1-m01',
    );
    const i = rs.findIndex((r) => r.tsMs === ms('09:00'));
    expect(rs[i - 1]!.registerWh).toBeGreaterThan(1_000_000);
    expect(rs[i]!.registerWh).toBe(0);
    expect(rs[i + 1]!.registerWh).toBeGreaterThan(0);
  });

  it('spike: one reading jumps far beyond max load, the next is back on the true register', () => {
    const rs = readingsOf(collect(oneMeterDay([{ kind: 'spike', meter: 'ekb-1-m01', at: T('12:00') }])), 'ekb-1-m01');
    const i = rs.findIndex((r) => r.tsMs === ms('12:00'));
    const maxLoadWhPerInterval = (73_680 * 300) / 3600;
    expect(rs[i]!.registerWh - rs[i - 1]!.registerWh).toBeGreaterThan(10 * maxLoadWhPerInterval);
    expect(rs[i + 1]!.registerWh - rs[i - 1]!.registerWh).toBeLessThan(2 * maxLoadWhPerInterval);
  });

  it('clock skew: timestamps shifted inside the window only', () => {
    const msgs = readingMsgs(
      oneMeterDay([{ kind: 'clock-skew', meter: 'ekb-1-m01', at: T('15:00'), durationMin: 30, skewS: 40 }]),
    );
    const skewed = msgs.filter((m) => m.failure === 'clock-skew');
    expect(skewed).toHaveLength(6);
    for (const m of skewed) expect(m.readings![0]!.tsMs - m.atMs).toBe(40_000);
    expect(
      msgs
        .filter((m) => m.failure !== 'clock-skew')
        .every((m) => m.kind !== 'reading' || m.readings![0]!.tsMs === m.atMs || m.failure),
    ).toBe(true);
  });

  it('duplicates: the same payload delivered twice', () => {
    const msgs = readingMsgs(
      oneMeterDay([{ kind: 'duplicate', meter: 'ekb-1-m01', at: T('16:00'), durationMin: 120, probability: 1 }]),
    );
    const dups = msgs.filter((m) => m.failure === 'duplicate');
    expect(dups).toHaveLength(24);
    for (const d of dups) expect(msgs.filter((m) => m.payload === d.payload)).toHaveLength(2);
  });

  it('out-of-order: readings delivered after newer ones', () => {
    const msgs = readingMsgs(
      oneMeterDay([
        {
          kind: 'out-of-order',
          meter: 'ekb-1-m01',
          at: T('18:00'),
          durationMin: 60,
          probability: 1,
          delayIntervals: 2,
        },
      ]),
    );
    const ts = msgs.filter((m) => m.kind === 'reading').map((m) => m.readings![0]!.tsMs);
    const inversions = ts.filter((t, i) => i > 0 && t < ts[i - 1]!).length;
    expect(inversions).toBeGreaterThan(0);
    expect(msgs.filter((m) => m.failure === 'out-of-order')).toHaveLength(12);
  });

  it("garbage: every payload is rejected by the service's reading schema", () => {
    const msgs = readingMsgs(oneMeterDay([{ kind: 'garbage', meter: 'ekb-1-m01', count: 40 }]));
    const garbage = msgs.filter((m) => m.kind === 'garbage');
    expect(garbage).toHaveLength(40);
    for (const g of garbage) expect(accepts(g.payload)).toBe(false);
    expect(
      new Set(garbage.map((g) => (typeof g.payload === 'string' ? g.payload.slice(0, 3) : 'bin'))).size,
    ).toBeGreaterThan(3);
  });

  it.each(GARBAGE_VARIANTS)('garbage variant %s is not an acceptable reading', (v) => {
    expect(accepts(garbagePayload(v, '2025-07-01T00:00:00Z', 12.345))).toBe(false);
  });

  it("wrong topic: a meter's client publishes a valid reading on another meter's topic", () => {
    const plan = planOf({
      meters: ['ekb-1-m01', 'ekb-1-m02'],
      start: '2025-07-01',
      end: '2025-07-02',
      reportingIntervalS: 300,
      failures: [{ kind: 'wrong-topic', meter: 'ekb-1-m01', victim: 'ekb-1-m02', at: T('10:00') }],
    });
    const wrong = publishes(collect(plan)).filter((m) => m.kind === 'wrong-topic');
    expect(wrong).toHaveLength(1);
    expect(wrong[0]).toMatchObject({ meterId: 'ekb-1-m01', topic: 'meters/ekb-1-m02/reading' });
    expect(accepts(wrong[0]!.payload)).toBe(true);
  });

  it('random failures ("count") land inside the run and are reproducible', () => {
    const doc = {
      meters: 'all',
      start: '2025-09-01',
      end: '2025-09-08',
      failures: [{ kind: 'outage', count: 30, durationMin: [5, 240] }],
    };
    const a = planOf(doc).failures;
    expect(a).toHaveLength(30);
    expect(planOf(doc).failures).toEqual(a);
    expect(planOf(doc, 99).failures).not.toEqual(a);
    for (const f of a) expect(f.fromMs).toBeGreaterThanOrEqual(Date.parse('2025-09-01T00:00:00+05:00'));
  });
});
