/** The demo's state as the terminal and the dashboard banner see it. */
import { describe, expect, it } from 'vitest';
import { createDemoStatus, renderDemoProgress } from '../../../src/cli/serve-demo.ts';

const FROM = Date.parse('2026-09-30T19:00:00Z');
const NOW = FROM + 100 * 3_600_000;

describe('demo status', () => {
  it('counts the backfill as the share of simulated time from the quarter start to the start instant', () => {
    const s = createDemoStatus(FROM, NOW, '2026-10-01');
    expect(s.get()).toMatchObject({ phase: 'backfill', fraction: 0, firstDay: '2026-10-01', backfillS: null });
    // A quarter of the way in 5 s: 15 s to go.
    s.update({ sent: 400, atMs: FROM + 25 * 3_600_000, elapsedS: 5 });
    expect(s.get()).toMatchObject({ phase: 'backfill', fraction: 0.25, messages: 400, etaS: 15 });
    expect(renderDemoProgress(s.get())).toBe(
      'Backfilling the quarter so far [########......................]  25.0%  sim 2026-10-01T20:00Z  400 messages  ETA 15 s',
    );
    s.live(21.26);
    expect(s.get()).toMatchObject({ phase: 'live', fraction: 1, etaS: null, backfillS: 21.3 });
    // Live progress no longer moves the backfill's figures; a later stop says so.
    s.update({ sent: 500, atMs: NOW + 60_000, elapsedS: 80 });
    s.live(99);
    expect(s.get()).toMatchObject({ phase: 'live', fraction: 1, backfillS: 21.3, messages: 500 });
    s.stopped();
    expect(s.get().phase).toBe('stopped');
  });

  it('counts a resumed backfill (issue 25: a restart sends only what is not stored) from where it resumes', () => {
    const s = createDemoStatus(FROM, NOW, '2026-10-01');
    s.resumed(FROM + 80 * 3_600_000);
    expect(s.get()).toMatchObject({ from: new Date(FROM).toISOString(), fraction: 0 });
    expect(s.get().resumedFrom).toBe(new Date(FROM + 80 * 3_600_000).toISOString());
    // 10 of the 20 hours left, in 2 s: 2 s to go.
    s.update({ sent: 40, atMs: FROM + 90 * 3_600_000, elapsedS: 2 });
    expect(s.get()).toMatchObject({ fraction: 0.5, etaS: 2 });
    // Every meter already up to date: nothing left to send.
    const t = createDemoStatus(FROM, NOW, '2026-10-01');
    t.resumed(NOW + 1000);
    t.update({ sent: 0, atMs: NOW, elapsedS: 0 });
    expect(t.get().fraction).toBe(1);
  });
});
