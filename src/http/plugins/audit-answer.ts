import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AuditLog } from '../../auth/audit-log.ts';
import type { RouteRight } from '../../auth/route-rights.ts';

const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Record a successful close, reopen or export download: who (the authenticated user), the period, the
 * taxpayer scope, the version, and a digest: the snapshot's for a close, the bytes handed out for an export.
 */
export async function auditAnswer(
  audit: AuditLog,
  right: RouteRight,
  req: FastifyRequest,
  payload: unknown,
): Promise<void> {
  const params = req.params as Record<string, string>;
  if (right.param && !right.param.match.test(params[right.param.name] ?? '')) return;
  const source = (right.scope === 'body' ? req.body : req.query) as Record<string, unknown> | undefined;
  const taxpayer = typeof source?.taxpayer === 'string' ? source.taxpayer : null;
  const text = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : undefined;
  const what: Record<string, unknown> = { period: params.period, taxpayer };
  let digest = text === undefined ? undefined : sha256(text);
  if (right.audit === 'export') {
    what.file = params.file;
    const version = (req.query as Record<string, unknown>).version;
    if (version !== undefined) what.version = Number(version);
  } else if (text !== undefined) {
    const body = JSON.parse(text.toString()) as Record<string, unknown>;
    if (typeof body.version === 'number') what.version = body.version;
    if (typeof body.reopenedVersion === 'number') what.version = body.reopenedVersion;
    if (typeof body.created === 'boolean') what.created = body.created;
    if (typeof body.digest === 'string') digest = body.digest;
    // The reason a close was acknowledged despite what the preview flagged (issue 24: out-of-band invoices too).
    const ack = (body.snapshot as { acknowledgement?: { reason?: unknown; items?: unknown } } | undefined)
      ?.acknowledgement;
    if (body.created === true && typeof ack?.reason === 'string') {
      what.acknowledgement = ack.reason;
      what.acknowledged = ack.items;
    }
  }
  await audit.append({
    who: req.principal?.name ?? 'anonymous',
    action: right.audit!,
    what,
    ...(digest !== undefined && { digest }),
  });
}
