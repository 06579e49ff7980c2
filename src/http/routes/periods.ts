/**
 * Period close and tax exports over HTTP:
 *   GET  /api/periods/:period/preview[?taxpayer=BIN]   what a close would freeze and what needs an acknowledgement
 *   POST /api/periods/:period/close    { taxpayer?, closedBy, reason?, acknowledgement? }  (409 until the period
 *                                      has ended; 409 without an acknowledgement when the preview asks for one)
 *   POST /api/periods/:period/reopen   { taxpayer?, reopenedBy?, reason }
 *   GET  /api/periods                  each period's state, late data pending, due dates
 *   GET  /api/periods/:period/late-data[?taxpayer=BIN]
 *   GET  /api/periods/:period/export.csv | export-totals.csv | export.json | export.html  [?taxpayer=BIN&version=N
 *                                      &lang=ru|kk|en&bom=0|1]
 *   GET  /api/periods/:period/verify[?taxpayer=BIN&version=N]
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { describeIssues } from '../../util/zod-error.ts';
import { documentedInput, errors } from './schemas.ts';
import { REPORT_CSP } from '../plugins/security-headers.ts';
import type { Evidence } from '../../periods/evidence-service.ts';
import { type Lang, LANGS } from '../../i18n/lang.js';
import { requestLang } from '../request-lang.ts';
import {
  type ExportFormat,
  MAX_REASON_CHARS,
  type PeriodResult,
  type PeriodService,
} from '../../periods/period-service.ts';

const bin = z.string().regex(/^\d{12}$/, 'a 12-digit BIN');
const closeBody = z.strictObject({
  taxpayer: bin.optional(),
  /** Ignored when the request is authenticated: the user closes (lab mode only: who closes). */
  closedBy: z.string().trim().min(1, 'closedBy: who closes the period').max(200).optional(),
  reason: z.string().max(MAX_REASON_CHARS, `reason: at most ${MAX_REASON_CHARS} characters`).optional(),
  /** Required (a reason) when the preview lists meters without readings or a large substituted share. */
  acknowledgement: z
    .string()
    .max(MAX_REASON_CHARS, `acknowledgement: at most ${MAX_REASON_CHARS} characters`)
    .optional(),
});
const reopenBody = z.strictObject({
  taxpayer: bin.optional(),
  reopenedBy: z.string().trim().min(1).max(200).optional(),
  reason: z.string().max(MAX_REASON_CHARS, `reason: at most ${MAX_REASON_CHARS} characters`).optional(),
});
const exportQuery = z.strictObject({
  taxpayer: bin.optional(),
  version: z.coerce.number().int().min(1).optional(),
  /** The language of the printable report and of the CSV headers (default: profile, Accept-Language, config). */
  lang: z.enum(LANGS).optional(),
  /** 1: start a CSV with the UTF-8 byte order mark (Excel); default on for ru and kk headers, off for en. */
  bom: z.enum(['0', '1']).optional(),
});
const FILES: Record<string, ExportFormat> = {
  'export.csv': 'csv',
  'export-totals.csv': 'totals.csv',
  'export.json': 'json',
  'export.html': 'html',
};

const issues = (err: z.ZodError): string => describeIssues(err, 'body');

/** OpenAPI: the same zod schemas (src/http/routes/schemas.ts); the handlers still check the input themselves. */
const periodParams = z.strictObject({ period: z.string().describe('2025-Q3, 2025-07 or 2025-07-01..2025-07-15') });
const doc = (summary: string, more: Record<string, unknown>) => ({
  schema: { tags: ['periods'], summary, ...more },
  ...documentedInput,
});
const closed = z.looseObject({
  created: z.boolean(),
  period: z.string(),
  version: z.number().int(),
  digest: z.string(),
});

/** closedBy / reopenedBy: the authenticated user, never the body (the lab's anonymous admin may name one). */
const actor = (req: FastifyRequest): string | undefined =>
  req.principal && req.principal.via !== 'lab' ? req.principal.name : undefined;

function send<T>(reply: FastifyReply, r: PeriodResult<T>, status = 200): unknown {
  if (!r.ok) return reply.status(r.status).send({ error: r.reason, ...(r.code && { code: r.code }) });
  return reply.status(status).send(r.value);
}

export function periodRoutes(deps: {
  periods: PeriodService;
  evidence?: Evidence;
  defaultLang?: Lang;
}): (app: FastifyInstance) => Promise<void> {
  const svc = deps.periods;
  return async (app) => {
    app.get(
      '/api/periods',
      doc("Each period's state, late data pending and due dates", {
        response: { 200: z.looseObject({ periods: z.array(z.looseObject({})) }) },
      }),
      async (req) => {
        const bin = req.principal?.taxpayer;
        const all = await svc.list();
        // A taxpayer's staff see their own closes and the open quarters, not another taxpayer's (or all) closes.
        return { periods: bin ? all.filter((e) => e.taxpayer === bin || (!e.taxpayer && !e.version)) : all };
      },
    );

    const closeDoc = doc('Close a period into a frozen, digest-checked snapshot (201; 200 when already closed)', {
      params: periodParams,
      body: closeBody,
      response: { 200: closed, 201: closed, ...errors(400, 404, 409, 503) },
    });
    app.post<{ Params: { period: string } }>('/api/periods/:period/close', closeDoc, async (req, reply) => {
      const body = closeBody.safeParse(req.body ?? {});
      if (!body.success) return reply.status(400).send({ error: issues(body.error) });
      const closedBy = actor(req) ?? body.data.closedBy;
      if (!closedBy) return reply.status(400).send({ error: 'body.closedBy: who closes the period' });
      const r = await svc.close({
        period: req.params.period,
        closedBy,
        ...(body.data.taxpayer && { taxpayer: body.data.taxpayer }),
        ...(body.data.reason !== undefined && { reason: body.data.reason }),
        ...(body.data.acknowledgement !== undefined && { acknowledgement: body.data.acknowledgement }),
      });
      if (!r.ok) return send(reply, r);
      return reply.status(r.value.created ? 201 : 200).send({
        created: r.value.created,
        period: r.value.snapshot.period,
        version: r.value.snapshot.version,
        digest: r.value.snapshot.digest,
        snapshot: r.value.snapshot,
      });
    });

    const reopenDoc = doc('Reopen a closed period: the next close makes version N+1', {
      params: periodParams,
      body: reopenBody,
      response: { 200: z.looseObject({}), ...errors(400, 404, 409) },
    });
    app.post<{ Params: { period: string } }>('/api/periods/:period/reopen', reopenDoc, async (req, reply) => {
      const body = reopenBody.safeParse(req.body ?? {});
      if (!body.success) return reply.status(400).send({ error: issues(body.error) });
      return send(
        reply,
        await svc.reopen({
          period: req.params.period,
          reopenedBy: actor(req) ?? body.data.reopenedBy ?? 'api',
          reason: body.data.reason ?? null,
          ...(body.data.taxpayer && { taxpayer: body.data.taxpayer }),
        }),
      );
    });

    app.get<{ Params: { period: string; file: string }; Querystring: Record<string, string> }>(
      '/api/periods/:period/:file',
      doc(
        'A closed period: export.csv, export-totals.csv, export.json, export.html, evidence.zip (the signed evidence package: snapshot, exports, seals, audit lines, keys; accountant), late-data or verify; any ended period: preview (what a close would freeze, what needs an acknowledgement)',
        {
          params: periodParams.extend({ file: z.string() }),
          querystring: exportQuery,
          response: errors(400, 404, 409),
        },
      ),
      async (req, reply) => {
        const q = exportQuery.safeParse(req.query);
        if (!q.success) return reply.status(400).send({ error: issues(q.error) });
        const opts = {
          ...(q.data.taxpayer && { taxpayer: q.data.taxpayer }),
          ...(q.data.version && { version: q.data.version }),
        };
        const { period, file } = req.params;
        const by = req.principal?.name;
        if (file === 'late-data') return send(reply, await svc.lateData(period, q.data.taxpayer ?? null, by));
        if (file === 'preview') return send(reply, await svc.preview(period, q.data.taxpayer ?? null));
        if (file === 'verify') return send(reply, await svc.verify(period, opts));
        if (file === 'evidence.zip' && deps.evidence) {
          const e = await deps.evidence(period, { ...opts, ...(by && { by }) });
          if (!e.ok) return send(reply, e);
          return reply
            .header('content-type', 'application/zip')
            .header('content-disposition', `attachment; filename="${e.value.name}"`)
            .send(Buffer.from(e.value.zip));
        }
        const format = FILES[file];
        if (!format)
          return reply.status(404).send({
            error: `unknown file "${file}": use ${Object.keys(FILES).join(', ')}, late-data, preview or verify`,
          });
        const r = await svc.export(period, format, {
          ...opts,
          ...(by && { by }),
          lang: requestLang(req, deps.defaultLang),
          ...(q.data.bom && { bom: q.data.bom === '1' }),
        });
        if (!r.ok) return send(reply, r);
        const name = `kzmeter-${r.value.snapshot.period}${r.value.snapshot.taxpayerScope ? `-${r.value.snapshot.taxpayerScope}` : ''}-v${r.value.snapshot.version}${file.slice('export'.length)}`;
        // The printable report is served inline: its own inline style and nothing else may run or load.
        if (format === 'html') void reply.header('content-security-policy', REPORT_CSP);
        // The export's Ed25519 signature over its exact bytes (issue 24): key id (fingerprint) and base64.
        if (r.value.signature)
          void reply.header(
            'x-kzm-signature',
            `keyId=${r.value.signature.keyId}; ed25519=${r.value.signature.signature}`,
          );
        return reply
          .header('content-type', r.value.contentType)
          .header('content-disposition', `inline; filename="${name}"`)
          .header('vary', 'accept-language, cookie, authorization')
          .send(r.value.body);
      },
    );
  };
}
