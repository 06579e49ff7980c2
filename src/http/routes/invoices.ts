/**
 * The supplier's invoices and their reconciliation with the meters (issue 24):
 *   POST /api/invoices                 a statement: text/csv body, or JSON { csv } or { rows: [{site, month, kwh,
 *                                      invoiceNo?}] }; refused whole with the lines named (400)
 *   GET  /api/invoices?period=P[&taxpayer=BIN]        every version of the period's months
 *   GET  /api/reconciliation?period=P[&taxpayer=BIN]  invoiced against the ledger's kWh per site and month
 * A taxpayer-bound user imports and sees only the sites their taxpayer operates.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isKzmError } from '../../util/errors.ts';
import { describeIssues } from '../../util/zod-error.ts';
import type { Registry } from '../../registry/types.ts';
import type { InvoiceService } from '../../periods/invoice-service.ts';
import type { PeriodService } from '../../periods/period-service.ts';
import { documentedInput, errors } from './schemas.ts';

const bin = z.string().regex(/^\d{12}$/, 'a 12-digit BIN');
const query = z.strictObject({
  period: z.string().describe('2025-Q3 (quarter) or 2025-07 (month)'),
  taxpayer: bin.optional().describe("Only the sites this taxpayer operates (a taxpayer's user: always theirs)"),
});
const listQuery = query.partial({ period: true });
const kwh = z.union([z.string(), z.number().nonnegative()]);
const rowSchema = z.strictObject({
  site: z.string(),
  month: z.string(),
  kwh,
  invoiceNo: z.string().optional(),
});
const body = z.union([
  z.strictObject({ csv: z.string().describe('The statement: site,month,kwh[,invoice_no] lines') }),
  z.strictObject({ rows: z.array(rowSchema).min(1).max(10_000) }),
]);

const security: Record<string, string[]>[] = [{ apiToken: [] }, { session: [] }];
const doc = (summary: string, more: Record<string, unknown>) => ({
  schema: { tags: ['invoices'], summary, security, ...more },
  ...documentedInput,
});

/** JSON rows as the statement's CSV, so both take the one checked path (and name the row as a line). */
const rowsCsv = (rows: z.infer<typeof rowSchema>[]) =>
  ['site,month,kwh,invoice_no', ...rows.map((r) => [r.site, r.month, String(r.kwh), r.invoiceNo ?? ''].join(','))].join(
    '\n',
  );

export function invoiceRoutes(deps: {
  registry: Registry;
  invoices: InvoiceService;
  periods: PeriodService;
}): (app: FastifyInstance) => Promise<void> {
  const { registry, invoices, periods } = deps;
  const sitesOf = (taxpayer: string | undefined) =>
    taxpayer === undefined
      ? undefined
      : new Set(registry.sites.filter((s) => s.taxpayer === taxpayer).map((s) => s.id));
  const who = (req: FastifyRequest) => req.principal?.name ?? 'anonymous';

  return async (app) => {
    // A statement sent as it came from the supplier.
    app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, text, done) => done(null, text));

    app.post(
      '/api/invoices',
      doc("Import the supplier's statement (a new version of each changed site-month; the old ones kept)", {
        body,
        response: {
          200: z.looseObject({ imported: z.array(z.looseObject({})), unchanged: z.number().int() }),
          ...errors(400, 403),
        },
      }),
      async (req, reply) => {
        let text: string;
        if (typeof req.body === 'string') text = req.body;
        else {
          const b = body.safeParse(req.body ?? {});
          if (!b.success) return reply.status(400).send({ error: describeIssues(b.error, 'body') });
          text = 'csv' in b.data ? b.data.csv : rowsCsv(b.data.rows);
        }
        const mine = sitesOf(req.principal?.taxpayer);
        try {
          return await invoices.importStatement({
            text,
            by: who(req),
            source: 'api',
            ...(mine && { allowedSites: mine }),
          });
        } catch (err) {
          if (isKzmError(err) && err.httpStatus < 500) return reply.status(err.httpStatus).send({ error: err.message });
          throw err;
        }
      },
    );

    app.get(
      '/api/invoices',
      doc('The invoices of a period (every version, the latest in force)', {
        querystring: listQuery,
        response: { 200: z.looseObject({ invoices: z.array(z.looseObject({})) }), ...errors(400) },
      }),
      async (req, reply) => {
        const q = listQuery.safeParse(req.query);
        if (!q.success) return reply.status(400).send({ error: describeIssues(q.error, 'query') });
        try {
          return { invoices: invoices.list(q.data.period, sitesOf(q.data.taxpayer)) };
        } catch (err) {
          if (isKzmError(err) && err.httpStatus < 500) return reply.status(err.httpStatus).send({ error: err.message });
          throw err;
        }
      },
    );

    app.get(
      '/api/reconciliation',
      doc("The supplier's invoiced kWh against the ledger's kWh, per site and month", {
        querystring: query,
        response: {
          200: z.looseObject({
            period: z.string(),
            rows: z.array(z.looseObject({ site: z.string(), month: z.string() })),
          }),
          ...errors(400, 404),
        },
      }),
      async (req, reply) => {
        const q = query.safeParse(req.query);
        if (!q.success) return reply.status(400).send({ error: describeIssues(q.error, 'query') });
        const r = await periods.reconciliation(q.data.period, q.data.taxpayer ?? null);
        if (!r.ok) return reply.status(r.status).send({ error: r.reason });
        return r.value;
      },
    );
  };
}
