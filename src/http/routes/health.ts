import type { FastifyInstance } from 'fastify';
import type { InfluxTarget } from '../../store/influx-target.ts';
import { pingInflux } from '../../store/ping.ts';
import type { BrokerHealth } from '../../broker/broker-health.ts';
import type { BatchWriter } from '../../store/batch-writer.ts';
import { healthSchema, zodCompilers } from './schemas.ts';
import type { SpoolState } from '../../store/spool.ts';

export interface HealthDeps {
  readonly influx: Pick<InfluxTarget, 'url' | 'apiVersion'>;
  readonly writer: Pick<BatchWriter, 'state'>;
  readonly broker: () => BrokerHealth;
  /** The local spool's state, when it is on. */
  readonly spool?: () => SpoolState;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  broker: BrokerHealth;
  influx: { url: string; apiVersion: string; reachable: boolean; error?: string };
  ingest: {
    pendingLines: number;
    writing: boolean;
    consecutiveWriteFailures: number;
    /** Only while writes fail: what is wrong ("token refused", "database missing", ...) and since when. */
    writeFailing?: { cause: string; since: string; attempts: number };
    lastWriteError?: string;
    lastWriteErrorAt?: string;
    /** The last failure after writes recovered (kept 15 min): the past, not the present state. */
    recoveredFrom?: { cause: string; error: string; failedForS: number; recoveredAt: string };
  };
  /** Present when the spool is on: unreplayed bytes, the oldest record's age, full = acknowledgements wait. */
  spool?: {
    bytes: number;
    maxBytes: number;
    oldestAgeS: number;
    full: boolean;
    /** Only while the disk refuses the spool (issue 22): which stage, why, since when. */
    failing?: { stage: string; cause: string; error: string; since: string; attempts: number };
  };
}

/** One probe: InfluxDB's /ping, the broker's measured state and the writer's. */
export async function healthReport(deps: HealthDeps): Promise<HealthReport> {
  const ping = await pingInflux(deps.influx.url);
  const w = deps.writer.state();
  const broker = deps.broker();
  const spool = deps.spool?.();
  const healthy =
    ping.ok && broker.connected && !w.failing && w.consecutiveFailures === 0 && !spool?.full && !spool?.failing;
  return {
    status: healthy ? 'ok' : 'degraded',
    broker,
    influx: {
      url: deps.influx.url,
      apiVersion: deps.influx.apiVersion,
      reachable: ping.ok,
      ...(ping.error && { error: ping.error }),
    },
    ingest: {
      pendingLines: w.pendingLines,
      writing: w.writing,
      consecutiveWriteFailures: w.consecutiveFailures,
      ...(w.failing && {
        writeFailing: {
          cause: w.failing.cause,
          since: new Date(w.failing.sinceMs).toISOString(),
          attempts: w.failing.attempts,
        },
        lastWriteError: w.failing.error,
        lastWriteErrorAt: new Date(w.failing.lastAtMs).toISOString(),
      }),
      ...(w.recovered && {
        recoveredFrom: {
          cause: w.recovered.cause,
          error: w.recovered.error,
          failedForS: Math.round(w.recovered.failedForMs / 1000),
          recoveredAt: new Date(w.recovered.recoveredAtMs).toISOString(),
        },
      }),
    },
    ...(spool && {
      spool: {
        bytes: spool.bytes,
        maxBytes: spool.maxBytes,
        oldestAgeS: Math.round((spool.oldestAgeMs ?? 0) / 1000),
        full: spool.full,
        ...(spool.failing && {
          failing: {
            stage: spool.failing.stage,
            cause: spool.failing.cause,
            error: spool.failing.error,
            since: new Date(spool.failing.sinceMs).toISOString(),
            attempts: spool.failing.attempts,
          },
        }),
      },
    }),
  };
}

export async function healthRoutes(app: FastifyInstance, deps: HealthDeps): Promise<void> {
  const schema = {
    tags: ['service'],
    summary: 'Broker, InfluxDB and ingest state: 200 ok, 503 degraded',
    response: { 200: healthSchema, 503: healthSchema },
  };
  app.get('/health', { schema, ...zodCompilers }, async (_req, reply) => {
    const report = await healthReport(deps);
    return reply.status(report.status === 'ok' ? 200 : 503).send(report);
  });
}
