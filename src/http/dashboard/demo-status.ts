/**
 * GET /api/dashboard/demo: the state of the `npm start` demo's backfill, for the dashboard's banner.
 * The route is always there ({ phase: 'none' } without the demo), so browsers never log a 404; the
 * demo (src/cli/serve-demo.ts) provides its state through provideDemoStatus.
 */
import type { FastifyInstance } from 'fastify';
import { doc } from '../openapi-doc.ts';

export interface DemoStatus {
  /** 'backfill' while the quarter so far is published; 'live' after; 'stopped' when the simulator ended. */
  readonly phase: 'backfill' | 'live' | 'stopped';
  /** First simulated instant (the quarter's first local midnight), ISO UTC. */
  readonly from: string;
  /** The same as a local date at the sites, 'YYYY-MM-DD'. */
  readonly firstDay: string;
  /** Where the backfill stops and real time begins, ISO UTC. */
  readonly liveFrom: string;
  /**
   * A restart on kept data: the earliest of the meters' newest stored readings, ISO UTC; the backfill sends only
   * what comes after each meter's (null: nothing was stored, the whole quarter is sent).
   */
  readonly resumedFrom: string | null;
  /** Share of the backfill done (of what it has to send), 0..1. */
  readonly fraction: number;
  /** Simulated time reached, ISO UTC to the minute. */
  readonly simTime: string | null;
  readonly messages: number;
  readonly etaS: number | null;
  /** How long the backfill took (wall seconds) until every past reading was stored and rolled up. */
  readonly backfillS: number | null;
}

const sources = new WeakMap<FastifyInstance, () => DemoStatus>();

/** A route plugin for the composition root: the demo's state behind GET /api/dashboard/demo. */
export function provideDemoStatus(get: () => DemoStatus): (app: FastifyInstance) => void {
  return (app) => {
    sources.set(app, get);
  };
}

export function demoStatusRoute(app: FastifyInstance): void {
  app.get(
    '/api/dashboard/demo',
    doc("The demo's progress under serve --simulate (phase, readings sent)"),
    async () => sources.get(app)?.() ?? { phase: 'none' },
  );
}
