/**
 * Security headers on every answer (issue 21): nosniff, no referrer, no framing, and a content security policy:
 * pages (the dashboard, /login, Swagger UI) load only what this service sends; answers that are not HTML (JSON,
 * CSV, Prometheus text, the event stream) allow nothing; a route may set its own (the inline export.html report).
 * The baseline goes on the raw response at onRequest, so hijacked answers (the event stream) carry it too;
 * onSend gives HTML its page policy.
 */
import type { FastifyInstance } from 'fastify';

export const PAGE_CSP =
  "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
/** Swagger UI (/docs) sets inline styles from its script; scripts stay locked to this service. */
export const DOCS_CSP = PAGE_CSP.replace(
  "default-src 'self';",
  "default-src 'self'; style-src 'self' 'unsafe-inline';",
);
/** The printable export.html: its own inline style, nothing else. */
export const REPORT_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";
const NONE_CSP = "default-src 'none'; frame-ancestors 'none'";
const DOCS_TREE = /^\/docs(\/|$|\?)/;

const BASELINE: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': NONE_CSP,
};

export function securityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', async (_req, reply) => {
    for (const [k, v] of Object.entries(BASELINE)) reply.raw.setHeader(k, v);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    // getHeader falls back to the raw response: the baseline's policy means no route set one of its own.
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html') && reply.getHeader('content-security-policy') === NONE_CSP)
      void reply.header('content-security-policy', DOCS_TREE.test(req.url) ? DOCS_CSP : PAGE_CSP);
    return payload;
  });
}
