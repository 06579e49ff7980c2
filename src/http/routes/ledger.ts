import type { FastifyInstance } from 'fastify';
import { gzipSync } from 'node:zlib';
import { Counter, Gauge, type Registry as PromRegistry } from 'prom-client';
import { z } from 'zod';
import { createLedgerReader, type LedgerServiceDeps } from '../../ledger/ledger-service.ts';
import type { CacheStats } from '../../ledger/ledger-cache.ts';
import { ledgerQuerySchema } from '../../ledger/request.ts';
import { acceptsGzip } from '../accepts-gzip.ts';
import { createAnswerBudget } from '../answer-budget.ts';
import { errors, ledgerReportSchema, zodCompilers } from './schemas.ts';

/** Bytes of ledger answers being sent at once, by default; past it a new answer is 503 + Retry-After. */
export const DEFAULT_ANSWER_BUDGET_BYTES = 64 * 2 ** 20;
/** Bytes of answers kept for later readers (ended periods until the rollups change, running ones for seconds). */
const KEPT_ANSWER_BYTES = 32 * 2 ** 20;

export interface LedgerRouteDeps extends LedgerServiceDeps {
  /** Bytes of answers being sent at once (README "HTTP API"); default DEFAULT_ANSWER_BUDGET_BYTES. */
  readonly answerBudgetBytes?: number;
  /** Where kzm_ledger_* go (README "Metrics"). */
  readonly metrics?: PromRegistry;
}

export interface LedgerRouteStats extends CacheStats {
  /** Answers serialised: one per computation, however many requests shared it. */
  serialised: number;
  /** Requests refused because the answers being sent had used the byte budget. */
  refusedForBytes: number;
}

/** A ledger answer as sent: its JSON bytes, and gzipped for clients that accept it (browsers, curl --compressed). */
interface SharedAnswer {
  readonly json: Buffer;
  readonly gzip: Buffer | undefined;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Below this an answer is sent as it is: compressing it saves less than it costs. */
const GZIP_FROM_BYTES = 8 * 1024;

/**
 * The answer as sent: checked against and encoded through the response schema (as fastify's serializer would),
 * then JSON, as bytes, and gzipped. Once per computation: identical requests share these bytes, which live outside
 * V8's heap (issue 22). Gzip matters at fleet scale: a 2,000-meter quarter is 2 MB of JSON, about 0.1 MB gzipped,
 * and 200 readers of it were 400 MB to write.
 */
function serialise(report: unknown): SharedAnswer {
  const json = Buffer.from(JSON.stringify(z.encode(ledgerReportSchema, report as z.output<typeof ledgerReportSchema>)));
  return { json, gzip: json.length >= GZIP_FROM_BYTES ? gzipSync(json) : undefined };
}

/**
 * GET /api/ledger?period=2025-Q3[&site=|&taxpayer=][&policy=strict|register-reconciled]
 * GET /api/ledger?from=2025-07-01&to=2025-07-15[...]   (dates are local midnights at the site; to is exclusive)
 * JSON: lines, summaries, declared lines (rounded once each), totals, cost of outages, tariffs and
 * registry version used. 400 with a sentence for a bad query; a running period answers with complete: false.
 * Readers cost bounded memory whatever their number: one computation and one serialisation per distinct ledger
 * (src/ledger/ledger-cache.ts), and a byte budget for answers being sent (src/http/answer-budget.ts).
 */
export function ledgerRoutes(
  deps: LedgerRouteDeps,
): ((app: FastifyInstance) => Promise<void>) & { stats(): LedgerRouteStats } {
  let serialised = 0;
  const reader = createLedgerReader(
    deps,
    (report) => {
      serialised++;
      return serialise(report);
    },
    {
      // A running period's answer serves identical requests for as long as it took to compute (1-5 s): a wave of
      // readers accepted late by a busy event loop shares it instead of starting the next computation.
      reuseRunning: { minMs: 1000, maxMs: 5000 },
      // Kept answers are bytes: bound them in bytes, not only in count.
      sizeOf: (v) => (v as SharedAnswer).json.length + ((v as SharedAnswer).gzip?.length ?? 0),
      maxKeptBytes: KEPT_ANSWER_BYTES,
    },
  );
  const budget = createAnswerBudget(deps.answerBudgetBytes ?? DEFAULT_ANSWER_BUDGET_BYTES);
  const plugin = async (app: FastifyInstance) => {
    const schema = {
      tags: ['ledger'],
      summary: 'The fee ledger of a period (lines, summaries, declared lines, totals, cost of outages)',
      description:
        'Give period (2025-Q3, 2025-07 or 2025-07-01..2025-07-15) or from and to (local midnights at the site; to exclusive). A running period answers with complete: false. 503 while the rollups catch up, or when too many answers are being sent at once.',
      querystring: ledgerQuerySchema,
      response: { 200: ledgerReportSchema, ...errors(400, 503) },
    };
    app.get('/api/ledger', { schema, ...zodCompilers }, async (req, reply) => {
      const result = await reader.read(req.query ?? {});
      if (!result.ok) return reply.status(400).send({ error: result.reason });
      const { json, gzip } = result.value;
      void reply.header('vary', 'accept-encoding');
      if (!gzip || !acceptsGzip(req.headers['accept-encoding'])) return budget.send(reply, json, JSON_TYPE);
      void reply.header('content-encoding', 'gzip');
      return budget.send(reply, gzip, JSON_TYPE);
    });
  };
  const stats = (): LedgerRouteStats => ({
    ...reader.cacheStats(),
    serialised,
    refusedForBytes: budget.state().refused,
  });
  if (deps.metrics) registerLedgerMetrics(deps.metrics, stats, () => budget.state().heldBytes);
  return Object.assign(plugin, { stats });
}

/** /metrics: how readers were answered (computed, shared, from the cache) and the bytes of answers being sent. */
function registerLedgerMetrics(registry: PromRegistry, stats: () => LedgerRouteStats, heldBytes: () => number) {
  new Counter({
    name: 'kzm_ledger_answers_total',
    help: 'Ledger requests answered, by how: computed, shared (a computation in flight or just done), cached',
    labelNames: ['how'],
    registers: [registry],
    collect() {
      const s = stats();
      this.reset();
      this.inc({ how: 'computed' }, s.computed);
      this.inc({ how: 'shared' }, s.shared);
      this.inc({ how: 'cached' }, s.cached);
    },
  });
  new Counter({
    name: 'kzm_ledger_refused_bytes_total',
    help: 'Ledger requests refused (503) because the answers being sent had used their byte budget',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats().refusedForBytes);
    },
  });
  new Gauge({
    name: 'kzm_ledger_answer_bytes_sending',
    help: 'Bytes of ledger answers being sent (each shared answer once)',
    registers: [registry],
    collect() {
      this.set(heldBytes());
    },
  });
}
