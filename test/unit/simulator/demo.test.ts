/** The npm start demo: its scenario, and the batching of past readings that makes the backfill fast. */
import { describe, expect, it } from 'vitest';
import { batchPastReadings, demoScenario, quarterStartDate } from '../../../simulator/demo.ts';
import type { PublishMessage, SimMessage } from '../../../simulator/message.ts';
import { buildPlan } from '../../../simulator/plan.ts';
import { simMetersFromRegistry } from '../../../simulator/sim-meters.ts';
import { generateStream } from '../../../simulator/stream.ts';
import { collect, planOf, publishes, readingsOf, registry } from './helpers.ts';

describe('demo scenario', () => {
  it.each([
    { now: '2026-11-28T16:00:00Z', start: '2026-10-01' },
    // 2026-12-31T20:00Z is already 2027-01-01 01:00 in Almaty (UTC+5).
    { now: '2026-12-31T20:00:00Z', start: '2027-01-01' },
    { now: '2026-03-31T18:00:00Z', start: '2026-01-01' },
  ])('starts on the local first day of the running quarter ($now -> $start)', ({ now, start }) => {
    expect(quarterStartDate(Date.parse(now), 'Asia/Almaty')).toBe(start);
    expect(demoScenario(Date.parse(now)).start).toBe(start);
  });

  it('puts its failures at fixed times of the quarter, so every run of a quarter sends the same readings', () => {
    const a = demoScenario(Date.parse('2026-10-02T00:00:00Z'));
    const b = demoScenario(Date.parse('2026-11-28T16:00:00Z'));
    expect(a).toEqual(b);
    expect(a.failures.map((f) => [f.kind, f.at])).toEqual([
      ['fault', '2026-10-20T09:00:00.000Z'], // day 20, 14:00 in Almaty (UTC+5)
      ['outage', '2026-11-03T22:00:00.000Z'], // day 35, 03:00
      ['outage-will', '2026-11-19T05:00:00.000Z'], // day 50, 10:00
    ]);
    // The same messages whatever the run's now (the first 3,000 of the open-ended stream here).
    const first = (nowMs: number) => {
      const out: unknown[] = [];
      for (const m of generateStream(buildPlan(demoScenario(nowMs), simMetersFromRegistry(registry, a), nowMs))) {
        out.push(m);
        if (out.length === 3000) break;
      }
      return out;
    };
    expect(first(Date.parse('2026-10-02T00:00:00Z'))).toEqual(first(Date.parse('2026-11-28T16:00:00Z')));
    const nextQuarter = demoScenario(Date.parse('2027-01-05T00:00:00Z'));
    expect(nextQuarter.start).toBe('2027-01-01');
    expect(nextQuarter.failures[0]!.at).toBe('2027-01-20T09:00:00.000Z');
  });
});

describe('batchPastReadings', () => {
  const plan = planOf({
    meters: ['ekb-1-m01', 'kpg-2-m03'],
    start: '2025-07-01',
    end: '2025-07-01T06:00:00+05:00',
    failures: [{ kind: 'outage-will', meter: 'ekb-1-m01', at: '2025-07-01T02:00:00+05:00', durationMin: 30 }],
  });
  const all = collect(plan);
  const liveFrom = Date.parse('2025-07-01T05:00:00+05:00');
  const out = [...batchPastReadings(all, liveFrom, { maxBatch: 20 })];

  it('loses, duplicates and reorders no reading of any meter', () => {
    for (const id of ['ekb-1-m01', 'kpg-2-m03']) expect(readingsOf(out, id)).toEqual(readingsOf(all, id));
  });

  it('sends past readings as arrays of at most maxBatch, and live ones one by one', () => {
    const readingMsgs = publishes(out).filter((m) => m.kind === 'reading' || m.kind === 'flush');
    const past = readingMsgs.filter((m) => m.atMs < liveFrom);
    expect(past.length).toBeLessThan(readingMsgs.length);
    for (const m of past) {
      const body = JSON.parse(m.payload as string) as unknown;
      const n = Array.isArray(body) ? body.length : 1;
      expect(n).toBe(m.readings!.length);
      expect(n).toBeLessThanOrEqual(20);
    }
    // ekb-1-m01 reports every minute: 5 h of the past in about 300 / 20 messages, not 300.
    expect(past.filter((m) => m.meterId === 'ekb-1-m01').length).toBeLessThan(20);
    for (const m of readingMsgs.filter((x) => x.atMs >= liveFrom)) expect(m.kind).toBe('reading');
  });

  it("sends a meter's batch before its link drops, so no reading is held across an outage", () => {
    const i = out.findIndex((m) => m.type === 'drop');
    const dropAt = out[i]!.atMs;
    const before = out
      .slice(0, i)
      .filter((m): m is PublishMessage => m.type === 'publish' && m.meterId === 'ekb-1-m01');
    const readingsBefore = before.flatMap((m) => m.readings ?? []);
    expect(readingsBefore.at(-1)!.tsMs).toBeLessThan(dropAt);
    expect(readingsBefore.length).toBe(readingsOf(all, 'ekb-1-m01').filter((r) => r.tsMs < dropAt).length);
  });

  it('calls onLive once, when the stream reaches liveFrom', () => {
    let calls = 0;
    const seen: SimMessage[] = [];
    for (const m of batchPastReadings(all, liveFrom, { onLive: () => calls++ })) {
      if (calls === 0) expect(m.atMs).toBeLessThan(liveFrom);
      seen.push(m);
    }
    expect(calls).toBe(1);
  });

  it('keepEvery thins plain past readings to k intervals apart, keeping failures and the first reading after a silence', () => {
    const faulty = planOf({
      meters: ['ekb-1-m01'],
      start: '2025-07-01',
      end: '2025-07-01T06:00:00+05:00',
      failures: [
        { kind: 'fault', meter: 'ekb-1-m01', at: '2025-07-01T01:00:00+05:00', durationMin: 7 },
        { kind: 'outage', meter: 'ekb-1-m01', at: '2025-07-01T02:00:01+05:00', durationMin: 30 },
      ],
    });
    const msgs = collect(faulty);
    const kept = readingsOf([...batchPastReadings(msgs, liveFrom, { keepEvery: 2 })], 'ekb-1-m01');
    const every = readingsOf(msgs, 'ekb-1-m01');
    const past = every.filter((r) => r.tsMs < liveFrom);
    // Every fault reading is kept; the live hour is untouched.
    expect(kept.filter((r) => r.status === 'fault')).toEqual(every.filter((r) => r.status === 'fault'));
    expect(kept.filter((r) => r.tsMs >= liveFrom)).toEqual(every.filter((r) => r.tsMs >= liveFrom));
    expect(kept.filter((r) => r.tsMs < liveFrom).length).toBeLessThan(past.length * 0.6);
    // Consecutive kept readings are at most 2 minutes apart, except across the 30-minute outage, which
    // grows by at most one interval at its start and none at its end (the first reading after it is kept).
    const gaps = kept.slice(1).map((r, i) => r.tsMs - kept[i]!.tsMs);
    const outage = every
      .slice(1)
      .map((r, i) => r.tsMs - every[i]!.tsMs)
      .filter((g) => g > 60_000);
    expect(outage).toHaveLength(1);
    expect(gaps.filter((g) => g > 120_000)).toHaveLength(1);
    expect(gaps.find((g) => g > 120_000)! - outage[0]!).toBeLessThanOrEqual(60_000);
    const firstAfter = every.find((r, i) => i > 0 && r.tsMs - every[i - 1]!.tsMs > 60_000)!;
    expect(kept).toContainEqual(firstAfter);
  });
});
