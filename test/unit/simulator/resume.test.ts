/**
 * Issue 25, restarts: a second `npm start` re-sent the whole quarter. A run resumed on what an earlier one
 * stored (plan.resumeAfterMs: per meter, the newest stored reading) sends nothing at or before that reading,
 * and from there on exactly what an uninterrupted run sends: the same readings with the same registers.
 */
import { describe, expect, it } from 'vitest';
import type { SimMessage } from '../../../simulator/message.ts';
import { collect, planOf, publishes, readingsOf } from './helpers.ts';

const at = (hhmm: string) => Date.parse(`2025-07-01T${hhmm}:00+05:00`);
const plan = planOf({
  meters: ['ekb-1-m01', 'kpg-2-m03', 'ast-3-m01'],
  start: '2025-07-01',
  end: '2025-07-01T06:00:00+05:00',
  failures: [
    { kind: 'fault', meter: 'ekb-1-m01', at: '2025-07-01T00:40:00+05:00', durationMin: 30 },
    { kind: 'reset', meter: 'ekb-1-m01', at: '2025-07-01T01:10:00+05:00' },
    // The cut of ekb-1-m01 (03:00) falls inside this dropped link: neither the drop nor its reconnect again.
    { kind: 'outage-will', meter: 'ekb-1-m01', at: '2025-07-01T02:50:00+05:00', durationMin: 30 },
    { kind: 'duplicate', meter: 'kpg-2-m03', at: '2025-07-01T00:00:00+05:00', durationMin: 240 },
    { kind: 'out-of-order', meter: 'kpg-2-m03', at: '2025-07-01T00:30:00+05:00', durationMin: 240 },
    { kind: 'garbage', meter: 'kpg-2-m03', at: '2025-07-01T00:20:00+05:00' },
    { kind: 'garbage', meter: 'kpg-2-m03', at: '2025-07-01T04:20:00+05:00' },
    { kind: 'spike', meter: 'ast-3-m01', at: '2025-07-01T05:00:00+05:00' },
  ],
});
const cuts = new Map([
  ['ekb-1-m01', at('03:00')],
  ['kpg-2-m03', at('01:35')],
]);
const fresh = collect(plan);
const resumed = collect({ ...plan, resumeAfterMs: cuts });
/** What is sent of a meter's messages (a resumed run's idle marks are not). */
const ofMeter = (ms: SimMessage[], id: string) => ms.filter((m) => m.meterId === id && m.type !== 'idle');

describe('a demo run resumed on what is stored (issue 25: no reading re-sent)', () => {
  it.each([...cuts])('%s: nothing at or before its newest stored reading is sent again', (id, cut) => {
    const mine = ofMeter(resumed, id);
    expect(mine.length).toBeGreaterThan(0);
    for (const m of mine) expect(m.atMs).toBeGreaterThan(cut);
    expect(readingsOf(resumed, id).every((r) => r.tsMs > cut)).toBe(true);
  });

  it.each([...cuts])(
    '%s: after the cut, the same readings with the same registers as an uninterrupted run',
    (id, cut) => {
      const expected = readingsOf(fresh, id).filter((r) => r.tsMs > cut);
      expect(expected.length).toBeGreaterThan(10);
      expect(readingsOf(resumed, id)).toEqual(expected);
      // Garbage and statuses after the cut too; the resumed meter first says it is online again.
      const others = (ms: SimMessage[]) =>
        publishes(ofMeter(ms, id)).filter((m) => m.atMs > cut && (m.kind === 'garbage' || m.kind === 'status'));
      const [online, ...rest] = others(resumed);
      expect(online).toMatchObject({ kind: 'status', atMs: expect.any(Number) as number });
      expect(rest).toEqual(others(fresh).filter((m) => m.atMs !== online!.atMs || m.kind !== 'status'));
    },
  );

  it('repeats no link drop, and so no reconnect without its drop', () => {
    const actions = ofMeter(resumed, 'ekb-1-m01').filter((m) => m.type !== 'publish');
    expect(
      ofMeter(fresh, 'ekb-1-m01')
        .filter((m) => m.type !== 'publish')
        .map((m) => m.type),
    ).toEqual(['drop', 'reconnect']);
    expect(actions).toEqual([]);
  });

  it('leaves a meter with nothing stored as it was', () => {
    expect(ofMeter(resumed, 'ast-3-m01')).toEqual(ofMeter(fresh, 'ast-3-m01'));
  });

  it('pauses once a simulated day while it runs through what is stored, so serve --simulate keeps answering', () => {
    const week = planOf({ meters: ['ekb-1-m01'], start: '2025-07-01', end: '2025-07-08' });
    const cut = Date.parse('2025-07-05T12:00:00+05:00');
    const msgs = collect({ ...week, resumeAfterMs: new Map([['ekb-1-m01', cut]]) });
    const idle = msgs.filter((m) => m.type === 'idle');
    expect(idle.map((m) => new Date(m.atMs).toISOString())).toEqual([
      '2025-07-01T19:00:00.000Z',
      '2025-07-02T19:00:00.000Z',
      '2025-07-03T19:00:00.000Z',
      '2025-07-04T19:00:00.000Z',
    ]);
    expect(readingsOf(msgs, 'ekb-1-m01')[0]!.tsMs).toBe(cut + 60_000);
  });
});
