import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../auth/principal.ts';
import type { RouteRight } from '../../auth/route-rights.ts';
import { scopeRegistry } from '../../auth/scope-registry.ts';
import type { Registry } from '../../registry/types.ts';

/** The registry a request may see: the whole one, or its user's taxpayer's part. */
export function requestRegistry(req: FastifyRequest, registry: Registry): Registry {
  return scopeRegistry(registry, req.principal?.taxpayer);
}

/**
 * Keep a taxpayer-bound user to their taxpayer on a 'query' or 'meter' route: naming another taxpayer, or a
 * site or meter of another, is refused; an absent ?taxpayer= is set to theirs. The reason, or undefined.
 */
export function checkTaxpayerQuery(
  right: RouteRight,
  p: Principal,
  req: FastifyRequest,
  registry: Registry,
): string | undefined {
  const bin = p.taxpayer;
  if (bin === undefined) return undefined;
  const mine = scopeRegistry(registry, bin);
  if (right.scope === 'meter') {
    const id = (req.params as { id?: string }).id ?? '';
    return mine.meterById.has(id) ? undefined : `meter "${id}" is not one of taxpayer ${bin}'s`;
  }
  if (right.scope !== 'query') return undefined;
  const q = (req.query ?? {}) as Record<string, string | undefined>;
  if (q.taxpayer !== undefined && q.taxpayer !== bin) return `${p.name} may see taxpayer ${bin} only`;
  if (q.site !== undefined && !mine.siteById.has(q.site)) return `site "${q.site}" is not one of taxpayer ${bin}'s`;
  if (q.meter !== undefined && !mine.meterById.has(q.meter))
    return `meter "${q.meter}" is not one of taxpayer ${bin}'s`;
  q.taxpayer = bin;
  return undefined;
}

/** A 'body' route (close, reopen): the body's taxpayer must be theirs, and is set to theirs when absent. */
export function checkTaxpayerBody(p: Principal, req: FastifyRequest): string | undefined {
  const bin = p.taxpayer;
  if (bin === undefined) return undefined;
  if (req.body === undefined || req.body === null) {
    req.body = { taxpayer: bin };
    return undefined;
  }
  if (typeof req.body !== 'object' || Array.isArray(req.body)) return undefined; // the route's own 400
  const body = req.body as Record<string, unknown>;
  if (body.taxpayer !== undefined && body.taxpayer !== bin) return `${p.name} may act for taxpayer ${bin} only`;
  body.taxpayer = bin;
  return undefined;
}

const METER_LABEL = /[{,]meter="((?:[^"\\]|\\.)*)"/;
const SITE_LABEL = /[{,]site="((?:[^"\\]|\\.)*)"/;

/**
 * /metrics for a taxpayer-bound user (issue 21): series labelled with a meter (or only a site) of another taxpayer
 * are left out; the service's own series, which name no taxpayer, stay.
 */
export function scopeMetricsText(text: string, mine: Registry): string {
  return text
    .split('\n')
    .filter((line) => {
      if (line.startsWith('#')) return true;
      const meter = METER_LABEL.exec(line)?.[1];
      if (meter !== undefined) return mine.meterById.has(meter);
      const site = SITE_LABEL.exec(line)?.[1];
      return site === undefined || mine.siteById.has(site);
    })
    .join('\n');
}
