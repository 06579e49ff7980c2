/**
 * People over HTTP (issue 11): API tokens (Authorization: Bearer kzm_...) and dashboard sessions (cookie
 * HttpOnly, SameSite=Strict, Secure over TLS), roles from src/auth/route-rights.ts enforced on every route,
 * taxpayer-bound users kept to their taxpayer, cookie-authenticated POSTs checked against cross-site
 * requests (Origin / Sec-Fetch-Site), logins rate-limited.
 *   GET /login            the login page        POST /api/login  { username, password }
 *   POST /api/logout      ends the session      GET /api/session who am I
 *   GET /api/users        users, roles, taxpayers (admin; no hashes)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Authenticator, type Principal, SESSION_COOKIE } from '../../auth/principal.ts';
import { roleAtLeast } from '../../auth/roles.ts';
import { neededRole, routeRight, type RouteRight } from '../../auth/route-rights.ts';
import type { Sessions, createLoginLimiter } from '../../auth/sessions.ts';
import type { UserStore } from '../../auth/users.ts';
import type { AuditLog } from '../../auth/audit-log.ts';
import { auditAnswer } from './audit-answer.ts';
import type { Registry } from '../../registry/types.ts';
import { describeIssues } from '../../util/zod-error.ts';
import { DEFAULT_WEB_DIR } from '../dashboard/assets.ts';
import { checkTaxpayerBody, checkTaxpayerQuery } from './taxpayer-scope.ts';
import { LOGIN_BODY_LIMIT_BYTES } from './json-body.ts';
import { loginPagesByLang } from './login-page.ts';
import { rememberLang, requestLang } from '../request-lang.ts';
import type { Lang } from '../../i18n/lang.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface HttpAuthDeps {
  readonly authenticator: Authenticator;
  readonly sessions: Sessions;
  readonly limiter: ReturnType<typeof createLoginLimiter>;
  readonly users: UserStore;
  readonly registry: Registry;
  /** Lab only: requests without credentials act as an unbound admin. */
  readonly allowAnonymous: boolean;
  /** The audit trail: closes, reopens, export downloads and failed logins are appended. */
  readonly audit?: AuditLog;
  readonly webDir?: string;
  /** Language of the login page when nothing in the request chooses one (http.defaultLang). */
  readonly defaultLang?: Lang;
  /** An Origin that is this service's public one (behind a TLS proxy): same-site for the cross-site check. */
  readonly isPublicOrigin?: (origin: string | undefined) => boolean;
}

const LAB: Principal = { name: 'anonymous', role: 'admin', via: 'lab' };
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const loginBody = z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) });

/** A cookie-carried request from another site (CSRF): browsers send Origin on POST and Sec-Fetch-Site. */
function crossSite(req: FastifyRequest, isPublicOrigin?: (origin: string | undefined) => boolean): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site !== 'same-origin';
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  // Behind a TLS proxy the request arrives as http, the page's origin is the public https one.
  if (isPublicOrigin?.(origin)) return false;
  return origin !== `${req.protocol}://${req.headers.host ?? ''}`;
}

export function authPlugin(deps: HttpAuthDeps) {
  const loginPages = loginPagesByLang(readFileSync(join(deps.webDir ?? DEFAULT_WEB_DIR, 'login.html'), 'utf8'));
  const deny = (reply: FastifyReply, status: 401 | 403, error: string) => {
    if (status === 401) void reply.header('www-authenticate', 'Bearer realm="kzmeter"');
    return reply.status(status).send({ error });
  };

  async function gate(req: FastifyRequest, reply: FastifyReply, right: RouteRight): Promise<unknown> {
    const found = await deps.authenticator.fromHeaders(req.headers);
    const principal = found ?? (found === undefined && deps.allowAnonymous ? LAB : undefined);
    if (principal) req.principal = principal;
    const need = neededRole(right, req.params as Record<string, string>);
    if (need === 'public') return undefined;
    if (!principal) {
      if (right.page && found === undefined) return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`);
      return deny(
        reply,
        401,
        found === null
          ? 'invalid or expired credentials'
          : 'authentication required: log in, or send Authorization: Bearer <API token>',
      );
    }
    if (!roleAtLeast(principal.role, need))
      return deny(
        reply,
        403,
        `${req.method} ${right.url} needs the ${need} role; ${principal.name} is ${principal.role}`,
      );
    if (principal.via === 'session' && UNSAFE.has(req.method) && crossSite(req, deps.isPublicOrigin))
      return deny(reply, 403, 'cross-site request refused (send it from the dashboard, or use an API token)');
    const refused = checkTaxpayerQuery(right, principal, req, deps.registry);
    return refused ? deny(reply, 403, refused) : undefined;
  }

  return async (app: FastifyInstance) => {
    app.decorateRequest('principal', undefined);
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) {
        if (method === 'HEAD' || method === 'OPTIONS') continue;
        if (!routeRight(method, route.url))
          throw new Error(`${method} ${route.url} has no entry in src/auth/route-rights.ts: give it a role`);
      }
    });
    app.addHook('onRequest', async (req, reply) => {
      const right = req.routeOptions.url && routeRight(req.method, req.routeOptions.url);
      if (!right) return; // not found: the 404 handler answers
      return gate(req, reply, right);
    });
    const audit = deps.audit;
    if (audit)
      app.addHook('onSend', async (req, reply, payload) => {
        const right = req.routeOptions.url && routeRight(req.method, req.routeOptions.url);
        if (right && right.audit && reply.statusCode < 300) await auditAnswer(audit, right, req, payload);
        return payload;
      });
    app.addHook('preHandler', async (req, reply) => {
      const right = req.routeOptions.url && routeRight(req.method, req.routeOptions.url);
      if (!right || right.scope !== 'body' || !req.principal) return;
      const refused = checkTaxpayerBody(req.principal, req);
      if (refused) return deny(reply, 403, refused);
    });

    // its content security policy: the page's, from the security headers (src/http/plugins/security-headers.ts)
    app.get('/login', async (req, reply) => {
      rememberLang(req, reply);
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(loginPages[requestLang(req, deps.defaultLang)]);
    });
    app.post('/api/login', { bodyLimit: LOGIN_BODY_LIMIT_BYTES }, async (req, reply) => {
      if (req.headers.origin !== undefined && crossSite(req, deps.isPublicOrigin))
        return deny(reply, 403, 'cross-site login refused');
      const body = loginBody.safeParse(req.body ?? {});
      if (!body.success) return reply.status(400).send({ error: describeIssues(body.error, 'body') });
      const { username } = body.data;
      const wait = deps.limiter.blockedForS(req.ip, username);
      if (wait > 0)
        return reply
          .status(429)
          .header('retry-after', String(wait))
          .send({ error: `too many failed logins: try again in ${wait} s` });
      const p = await deps.authenticator.checkLogin(body.data.username, body.data.password);
      if (!p) {
        deps.limiter.fail(req.ip, username);
        await deps.audit?.append({ action: 'login-failed', who: body.data.username, what: { ip: req.ip } });
        return deny(reply, 401, 'wrong user name or password');
      }
      deps.limiter.succeed(req.ip, username);
      const s = await deps.sessions.create(p.name);
      const secure = req.protocol === 'https' ? '; Secure' : '';
      const maxAge = Math.round((s.expiresMs - Date.now()) / 1000);
      void reply.header(
        'set-cookie',
        `${SESSION_COOKIE}=${s.id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`,
      );
      return { name: p.name, role: p.role, taxpayer: p.taxpayer ?? null };
    });
    app.post('/api/logout', { bodyLimit: LOGIN_BODY_LIMIT_BYTES }, async (req, reply) => {
      const sid = req.headers.cookie?.match(new RegExp(`${SESSION_COOKIE}=([^;\\s]+)`))?.[1];
      if (sid) await deps.sessions.delete(sid);
      void reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
      return { ok: true };
    });
    app.get('/api/session', async (req) => ({
      name: req.principal!.name,
      role: req.principal!.role,
      taxpayer: req.principal!.taxpayer ?? null,
      via: req.principal!.via,
    }));
    app.get('/api/users', async () => ({
      users: (await deps.users.all()).map((u) => ({
        name: u.name,
        role: u.role,
        taxpayer: u.taxpayer ?? null,
        password: Boolean(u.passwordHash),
        tokens: u.tokens.map((t) => ({ id: t.id, createdAt: t.createdAt })),
        createdAt: u.createdAt,
      })),
    }));
  };
}
