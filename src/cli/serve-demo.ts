/**
 * `serve --simulate` without a scenario: the demo (simulator/demo.ts). The quarter so far is published
 * as fast as the service takes it, with a progress bar on the terminal and GET /api/dashboard/demo for
 * the dashboard's banner, then the meters go on in real time.
 */
import { progressBar } from './progress-bar.ts';
import type { Logger } from 'pino';
import type { StatusLine } from '../util/status-line.ts';
import type { DemoStatus } from '../http/dashboard/demo-status.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import { readLastReadings } from '../store/query/live.ts';

export interface DemoProgressInput {
  readonly sent: number;
  /** Simulated instant reached (ms). */
  readonly atMs: number;
  readonly elapsedS: number;
}

/** The demo's state, fed by the simulator's progress; pure apart from the clock handed in. */
export function createDemoStatus(fromMs: number, liveFromMs: number, firstDay: string) {
  /** Where the backfill begins: the quarter's start, or where a restart resumes. */
  let baseMs = fromMs;
  let status: DemoStatus = {
    phase: 'backfill',
    from: new Date(fromMs).toISOString(),
    firstDay,
    liveFrom: new Date(liveFromMs).toISOString(),
    resumedFrom: null,
    fraction: 0,
    simTime: null,
    messages: 0,
    etaS: null,
    backfillS: null,
  };
  return {
    get: (): DemoStatus => status,
    /** A restart on kept data: the backfill sends only what follows atMs (the earliest meter's newest reading). */
    resumed(atMs: number): void {
      baseMs = Math.min(Math.max(fromMs, atMs), liveFromMs);
      status = { ...status, resumedFrom: new Date(baseMs).toISOString() };
    },
    update(p: DemoProgressInput): void {
      const backfill = status.phase === 'backfill';
      const span = liveFromMs - baseMs;
      const fraction = span > 0 ? Math.min(1, Math.max(0, (p.atMs - baseMs) / span)) : 1;
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

/** One progress line: '[#####.....]  45.0%  sim 2026-10-27T05:00  41,234 messages  ETA 12 s'. */
export function renderDemoProgress(s: DemoStatus): string {
  const eta = s.etaS === null ? '' : `  ETA ${s.etaS} s`;
  return `Backfilling the quarter so far ${progressBar(s.fraction)} ${(s.fraction * 100).toFixed(1).padStart(5)}%  sim ${s.simTime ? `${s.simTime}Z` : '-'}  ${s.messages.toLocaleString('en-US')} messages${eta}`;
}

/** Draws the bar on a terminal (redrawn in place, log lines above it) or logs every 10 % otherwise. */
export function demoProgressReporter(log: Logger, tty: boolean, line: StatusLine) {
  let lastTenth = -1;
  return (s: DemoStatus, done: boolean): void => {
    if (done) {
      if (tty) line.done(renderDemoProgress(s));
      log.info(
        {
          backfillS: s.backfillS,
          messages: s.messages,
          from: s.from,
          resumedFrom: s.resumedFrom,
          liveFrom: s.liveFrom,
        },
        'Demo backfill of the quarter so far done; meters now report in real time.',
      );
      return;
    }
    if (s.phase !== 'backfill') return;
    if (tty) return line.show(renderDemoProgress(s));
    const tenth = Math.floor(s.fraction * 10);
    if (tenth > lastTenth) {
      lastTenth = tenth;
      log.info({ pct: tenth * 10, simTime: s.simTime, messages: s.messages }, 'Demo backfill progress.');
    }
  };
}

/**
 * Where a restart on kept data resumes the demo: each meter's newest reading stored since the quarter began
 * (issue 25: a second `npm start` re-sent the whole quarter). Empty when nothing is stored or InfluxDB cannot
 * say: then everything is sent, which only rewrites identical points.
 */
export async function demoResumePoints(
  target: InfluxTarget,
  meterIds: readonly string[],
  fromMs: number,
  log: Logger,
): Promise<Map<string, number>> {
  try {
    const last = await readLastReadings(target, meterIds, fromMs);
    const out = new Map(last.map((r) => [r.meterId, r.tsMs] as const));
    if (out.size) {
      const times = [...out.values()];
      log.info(
        {
          meters: out.size,
          earliest: new Date(Math.min(...times)).toISOString(),
          latest: new Date(Math.max(...times)).toISOString(),
        },
        'Demo resumes on what is stored: each meter sends only readings newer than its newest stored one.',
      );
    }
    return out;
  } catch (err) {
    log.warn(
      { err: (err as Error).message },
      'Could not read what the demo stored before; it sends the whole quarter.',
    );
    return new Map();
  }
}
