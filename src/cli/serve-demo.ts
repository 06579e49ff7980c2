/**
 * `serve --simulate` without a scenario: the demo (simulator/demo.ts). The quarter so far is published
 * as fast as the service takes it, with a progress bar on the terminal and GET /api/dashboard/demo for
 * the dashboard's banner, then the meters go on in real time.
 */
import type { Logger } from 'pino';
import type { DemoStatus } from '../http/dashboard/demo-status.ts';

export interface DemoProgressInput {
  readonly sent: number;
  /** Simulated instant reached (ms). */
  readonly atMs: number;
  readonly elapsedS: number;
}

/** The demo's state, fed by the simulator's progress; pure apart from the clock handed in. */
export function createDemoStatus(fromMs: number, liveFromMs: number, firstDay: string) {
  let status: DemoStatus = {
    phase: 'backfill',
    from: new Date(fromMs).toISOString(),
    firstDay,
    liveFrom: new Date(liveFromMs).toISOString(),
    fraction: 0,
    simTime: null,
    messages: 0,
    etaS: null,
    backfillS: null,
  };
  return {
    get: (): DemoStatus => status,
    update(p: DemoProgressInput): void {
      const backfill = status.phase === 'backfill';
      const fraction = Math.min(1, Math.max(0, (p.atMs - fromMs) / (liveFromMs - fromMs)));
      status = {
        ...status,
        fraction: backfill ? fraction : 1,
        simTime: new Date(p.atMs).toISOString().slice(0, 16),
        messages: p.sent,
        etaS: backfill && fraction > 0 ? Math.round((p.elapsedS * (1 - fraction)) / fraction) : null,
      };
    },
    /** The stream reached real time: the backfill took elapsedS. */
    live(elapsedS: number): void {
      if (status.phase !== 'backfill') return;
      status = { ...status, phase: 'live', fraction: 1, etaS: null, backfillS: Math.round(elapsedS * 10) / 10 };
    },
    stopped(): void {
      status = { ...status, phase: 'stopped', etaS: null };
    },
  };
}

export type DemoStatusStore = ReturnType<typeof createDemoStatus>;

const bar = (fraction: number, width = 30): string => {
  const full = Math.round(fraction * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
};

/** One progress line: '[#####.....]  45.0%  sim 2026-10-27T05:00  41,234 messages  ETA 12 s'. */
export function renderDemoProgress(s: DemoStatus): string {
  const eta = s.etaS === null ? '' : `  ETA ${s.etaS} s`;
  return `Backfilling the quarter so far ${bar(s.fraction)} ${(s.fraction * 100).toFixed(1).padStart(5)}%  sim ${s.simTime ? `${s.simTime}Z` : '-'}  ${s.messages.toLocaleString('en-US')} messages${eta}`;
}

/** Draws the bar on a terminal (redrawn in place) or logs every 10 % otherwise. */
export function demoProgressReporter(log: Logger, tty: boolean, write: (s: string) => void) {
  let lastTenth = -1;
  return (s: DemoStatus, done: boolean): void => {
    if (done) {
      if (tty) write(`\r${renderDemoProgress(s)}\x1b[K\n`);
      log.info(
        { backfillS: s.backfillS, messages: s.messages, from: s.from, liveFrom: s.liveFrom },
        'Demo backfill of the quarter so far done; meters now report in real time.',
      );
      return;
    }
    if (s.phase !== 'backfill') return;
    if (tty) return write(`\r${renderDemoProgress(s)}\x1b[K`);
    const tenth = Math.floor(s.fraction * 10);
    if (tenth > lastTenth) {
      lastTenth = tenth;
      log.info({ pct: tenth * 10, simTime: s.simTime, messages: s.messages }, 'Demo backfill progress.');
    }
  };
}
