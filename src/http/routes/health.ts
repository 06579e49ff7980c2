import type { FastifyInstance } from 'fastify';
import type { InfluxTarget } from '../../store/influx-target.ts';
import { pingInflux } from '../../store/ping.ts';
import type { BrokerHealth } from '../../broker/broker-health.ts';
import type { BatchWriter } from '../../store/batch-writer.ts';
import { healthSchema, zodCompilers } from './schemas.ts';
import type { SpoolState } from '../../store/spool.ts';
import { redactSecrets, redactUrl } from '../../util/redact.ts';

export interface HealthDeps {
  readonly influx: Pick<InfluxTarget, 'url' | 'apiVersion'>;
  readonly writer: Pick<BatchWriter, 'state'>;
  readonly broker: () => BrokerHealth;
  /** The local spool's state, when it is on. */
  readonly spool?: () => SpoolState;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  /** url: only in the detailed (admin) view, credentials redacted. */
  broker: Omit<BrokerHealth, 'url'> & { url?: string };
  influx: { url?: string; apiVersion: string; reachable: boolean; error?: string };
  ingest: {
    pendingLines: number;
    writing: boolean;
    consecutiveWriteFailures: number;
    /** Only while writes fail: what is wrong ("token refused", "database missing", ...) and since when. */
    writeFailing?: { cause: string; since: string; attempts: number };
    lastWriteError?: string;
    lastWriteErrorAt?: string;
    /** The last failure after writes recovered (kept 15 min): the past, not the present state. */
    recoveredFrom?: { cause: string; error?: string; failedForS: number; recoveredAt: string };
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

/**
 * One probe: InfluxDB's /ping, the broker's measured state and the writer's. `detailed` (an admin asks) adds the
 * URLs and the raw error texts, secrets redacted; without it (the public view, issue 21 F7) the answer names no
 * address at all: error texts such as "connect ECONNREFUSED 10.0.0.5:8086" stay out, their causes stay in.
 */
export async function healthReport(deps: HealthDeps, detailed = false): Promise<HealthReport> {
  const ping = await pingInflux(deps.influx.url);
  const w = deps.writer.state();
  const { url: brokerUrl, ...broker } = deps.broker();
  const spool = deps.spool?.();
  const healthy =
    ping.ok && broker.connected && !w.failing && w.consecutiveFailures === 0 && !spool?.full && !spool?.failing;
  const text = (s: string | undefined) => (detailed && s !== undefined ? redactSecrets(s) : undefined);
  return {
    status: healthy ? 'ok' : 'degraded',
    broker: { ...broker, ...(detailed && { url: redactUrl(brokerUrl) }) },
    influx: {
      ...(detailed && { url: redactUrl(deps.influx.url) }),
      apiVersion: deps.influx.apiVersion,
      reachable: ping.ok,
      ...(text(ping.error) && { error: text(ping.error) }),
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
        ...(detailed && { lastWriteError: text(w.failing.error) }),
        lastWriteErrorAt: new Date(w.failing.lastAtMs).toISOString(),
      }),
      ...(w.recovered && {
        recoveredFrom: {
          cause: w.recovered.cause,
          ...(detailed && { error: text(w.recovered.error) }),
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
    summary:
      'Broker, InfluxDB and ingest state: 200 ok, 503 degraded. URLs and raw error texts (credentials redacted) only for an admin',
    response: { 200: healthSchema, 503: healthSchema },
  };
  app.get('/health', { schema, ...zodCompilers }, async (req, reply) => {
    // Public route: the auth plugin still names a caller who sent credentials; only a real admin gets the details.
    const admin = req.principal?.role === 'admin' && req.principal.via !== 'lab';
    const report = await healthReport(deps, admin);
    return reply.status(report.status === 'ok' ? 200 : 503).send(report);
  });
}
