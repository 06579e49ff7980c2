import type { FastifyInstance } from 'fastify';
import { createLedgerService, type LedgerServiceDeps } from '../../ledger/ledger-service.ts';

/**
 * GET /api/ledger?period=2025-Q3[&site=|&taxpayer=][&policy=strict|register-reconciled]
 * GET /api/ledger?from=2025-07-01&to=2025-07-15[...]   (dates are local midnights at the site; to is exclusive)
 * JSON: lines, summaries, declared lines (rounded once each), totals, cost of outages, tariffs and
 * registry version used. 400 with a sentence for a bad query; a running period answers with complete: false.
 */
export function ledgerRoutes(deps: LedgerServiceDeps): (app: FastifyInstance) => Promise<void> {
  const service = createLedgerService(deps);
  return async (app) => {
    app.get('/api/ledger', async (req, reply) => {
      const result = await service.ledger(req.query ?? {});
      if (!result.ok) return reply.status(400).send({ error: result.reason });
      return result.value;
    });
  };
}
