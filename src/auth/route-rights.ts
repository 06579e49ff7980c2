import type { Role } from './roles.ts';

/**
 * Every HTTP route with the role it needs: the one table the auth plugin enforces and the role x route test
 * matrix is generated from. A route registered without an entry here stops the app from building, so a new
 * route cannot be forgotten.
 *
 * scope says how a taxpayer-bound user is kept to their taxpayer on the route:
 *   'query'    ?taxpayer= is forced to theirs (another BIN is 403); ?site= and ?meter= must be theirs
 *   'body'     the body's taxpayer is forced to theirs (another BIN is 403)
 *   'meter'    the :id path parameter must be one of their meters
 *   'filtered' the handler answers only their data (scoped registry)
 *   'none'     nothing taxpayer-specific in the answer
 */
export type RouteScope = 'query' | 'body' | 'meter' | 'filtered' | 'none';

export interface RouteRight {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly role: Role | 'public';
  readonly scope: RouteScope;
  /** A browser page: without a session it redirects to /login instead of answering 401. */
  readonly page?: boolean;
  /** A stricter role for some values of one path parameter (the export files of a period). */
  readonly param?: { readonly name: string; readonly match: RegExp; readonly role: Role };
  /** A successful answer is recorded in the audit trail (for a parameter route: when `param` matches). */
  readonly audit?: 'close' | 'reopen' | 'export';
  /** Concrete requests for the generated test matrix (path parameters filled in). */
  readonly samples: readonly string[];
}

const page = (url: string, samples: string[]): RouteRight => ({
  method: 'GET',
  url,
  role: 'viewer',
  scope: 'none',
  page: true,
  samples,
});

export const ROUTE_RIGHTS: readonly RouteRight[] = [
  { method: 'GET', url: '/health', role: 'public', scope: 'none', samples: ['/health'] },
  { method: 'GET', url: '/login', role: 'public', scope: 'none', samples: ['/login'] },
  { method: 'POST', url: '/api/login', role: 'public', scope: 'none', samples: [] },
  { method: 'POST', url: '/api/logout', role: 'public', scope: 'none', samples: [] },
  { method: 'GET', url: '/assets/*', role: 'public', scope: 'none', samples: ['/assets/app.js'] },
  // The API's own description (no data): the OpenAPI document and Swagger UI with its files under /docs/.
  { method: 'GET', url: '/openapi.json', role: 'public', scope: 'none', samples: ['/openapi.json'] },
  // The installation's public signing keys (issue 24): anyone checks a seal, snapshot or export with them.
  { method: 'GET', url: '/api/signing-key', role: 'public', scope: 'none', samples: ['/api/signing-key'] },
  { method: 'GET', url: '/docs', role: 'public', scope: 'none', samples: ['/docs', '/docs/json'] },
  { method: 'GET', url: '/api/session', role: 'viewer', scope: 'none', samples: ['/api/session'] },
  // per-meter series only for a taxpayer-bound user's meters
  { method: 'GET', url: '/metrics', role: 'operator', scope: 'filtered', samples: ['/metrics'] },
  { method: 'GET', url: '/api/meters', role: 'viewer', scope: 'filtered', samples: ['/api/meters'] },
  { method: 'GET', url: '/api/ledger', role: 'viewer', scope: 'query', samples: ['/api/ledger?period=2025-Q3'] },
  { method: 'GET', url: '/api/periods', role: 'viewer', scope: 'filtered', samples: ['/api/periods'] },
  {
    method: 'POST',
    url: '/api/periods/:period/close',
    role: 'accountant',
    scope: 'body',
    audit: 'close',
    samples: ['/api/periods/2025-Q3/close'],
  },
  {
    method: 'POST',
    url: '/api/periods/:period/reopen',
    role: 'accountant',
    scope: 'body',
    audit: 'reopen',
    samples: ['/api/periods/2025-Q3/reopen'],
  },
  {
    method: 'GET',
    url: '/api/periods/:period/:file',
    role: 'viewer',
    scope: 'query',
    // The exports and the evidence package (issue 24: snapshot, exports, seals, audit lines, signed manifest).
    param: { name: 'file', match: /^(export|evidence\.zip$)/, role: 'accountant' },
    audit: 'export',
    samples: ['/api/periods/2025-Q3/verify', '/api/periods/2025-Q3/export.csv', '/api/periods/2025-Q3/evidence.zip'],
  },
  // The supplier's invoices (issue 24): imported by accountants (audited by the import itself: it names the
  // versions made), read beside the ledger by whoever reads the ledger.
  { method: 'POST', url: '/api/invoices', role: 'accountant', scope: 'filtered', samples: ['/api/invoices'] },
  {
    method: 'GET',
    url: '/api/invoices',
    role: 'viewer',
    scope: 'query',
    samples: ['/api/invoices?period=2025-Q3'],
  },
  {
    method: 'GET',
    url: '/api/reconciliation',
    role: 'viewer',
    scope: 'query',
    samples: ['/api/reconciliation?period=2025-Q3'],
  },
  {
    method: 'GET',
    url: '/api/dashboard/overview',
    role: 'viewer',
    scope: 'filtered',
    samples: ['/api/dashboard/overview'],
  },
  {
    method: 'GET',
    url: '/api/dashboard/meters',
    role: 'viewer',
    scope: 'filtered',
    samples: ['/api/dashboard/meters'],
  },
  // serve --simulate's demo progress (no taxpayer data)
  { method: 'GET', url: '/api/dashboard/demo', role: 'viewer', scope: 'none', samples: ['/api/dashboard/demo'] },
  // The meter detail carries the rejected payloads (operator and up).
  {
    method: 'GET',
    url: '/api/dashboard/meters/:id',
    role: 'operator',
    scope: 'meter',
    samples: ['/api/dashboard/meters/ekb-1-m01'],
  },
  // The live view.
  {
    method: 'GET',
    url: '/api/dashboard/events',
    role: 'operator',
    scope: 'filtered',
    samples: ['/api/dashboard/events?topics=meters'],
  },
  { method: 'GET', url: '/api/users', role: 'admin', scope: 'none', samples: ['/api/users'] },
  page('/', ['/']),
  page('/meters', ['/meters']),
  page('/periods', ['/periods']),
  page('/meters/:id', ['/meters/ekb-1-m01']),
];

const key = (method: string, url: string) => `${method === 'HEAD' ? 'GET' : method} ${url}`;
const byKey = new Map(ROUTE_RIGHTS.map((r) => [key(r.method, r.url), r]));

/** Swagger UI registers a handful of routes of its own under /docs/ (its files, json, yaml): one entry. */
const DOCS_TREE = /^\/docs(\/|$)/;

export function routeRight(method: string, url: string): RouteRight | undefined {
  return byKey.get(key(method, url)) ?? (DOCS_TREE.test(url) ? byKey.get(key(method, '/docs')) : undefined);
}

/** The role a request needs on a route: the route's, or its parameter's stricter one. */
export function neededRole(r: RouteRight, params: Record<string, string | undefined>): Role | 'public' {
  if (r.param && r.param.match.test(params[r.param.name] ?? '')) return r.param.role;
  return r.role;
}
