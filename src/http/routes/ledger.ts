import type { FastifyInstance } from 'fastify';
import { createLedgerService, type LedgerServiceDeps } from '../../ledger/ledger-service.ts';
import { ledgerQuerySchema } from '../../ledger/request.ts';
import { errors, ledgerReportSchema, zodCompilers } from './schemas.ts';

/**
 * GET /api/ledger?period=2025-Q3[&site=|&taxpayer=][&policy=strict|register-reconciled]
 * GET /api/ledger?from=2025-07-01&to=2025-07-15[...]   (dates are local midnights at the site; to is exclusive)
 * JSON: lines, summaries, declared lines (rounded once each), totals, cost of outages, tariffs and
 * registry version used. 400 with a sentence for a bad query; a running period answers with complete: false.
 */
export function ledgerRoutes(deps: LedgerServiceDeps): (app: FastifyInstance) => Promise<void> {
  const service = createLedgerService(deps);
  return async (app) => {
    const schema = {
      tags: ['ledger'],
      summary: 'The fee ledger of a period (lines, summaries, declared lines, totals, cost of outages)',
      description:
        'Give period (2025-Q3, 2025-07 or 2025-07-01..2025-07-15) or from and to (local midnights at the site; to exclusive). A running period answers with complete: false. 503 while the rollups catch up.',
      querystring: ledgerQuerySchema,
      response: { 200: ledgerReportSchema, ...errors(400, 503) },
    };
    app.get('/api/ledger', { schema, ...zodCompilers }, async (req, reply) => {
      const result = await service.ledger(req.query ?? {});
      if (!result.ok) return reply.status(400).send({ error: result.reason });
      return result.value;
    });
  };
}
