/**
 * The OpenAPI document's conventions, applied to every route in one place (issue 26: Redocly's lint found
 * 19 operations without a security scheme, an invalid `/assets/{*}` parameter, no `servers`):
 * - security from the route-rights table (src/auth/route-rights.ts): a public route says `security: []`,
 *   every other one accepts an API token (Authorization: Bearer) or the dashboard's session cookie, and its
 *   description names the role it needs; Swagger UI shows an Authorize button for the token;
 * - a guarded route documents its 401 and 403 answers in the one error shape;
 * - an operationId derived from method and path; routes of the dashboard tagged "dashboard";
 * - wildcard paths get a named parameter.
 * A route's own summary stays beside the route; the lint test (test/integration/openapi-lint.test.ts) fails a
 * route without one.
 */
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { routeRight } from '../auth/route-rights.ts';
import { SESSION_COOKIE } from '../auth/principal.ts';

type TransformInput = Parameters<typeof jsonSchemaTransform>[0];
type Schema = Record<string, unknown> & { tags?: string[]; description?: string; response?: Record<string, unknown> };

export const SECURITY_SCHEMES = {
  apiToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token (kzm_...) from `kzmeter users token`; the admin token is printed at first start.',
  },
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'The dashboard session (POST /api/login).',
  },
} as const;

const GUARDED = [{ apiToken: [] }, { session: [] }];
const ERROR_ANSWER = {
  type: 'object',
  properties: { error: { type: 'string' }, code: { type: 'string' } },
  required: ['error'],
};

/** GET /api/periods/:period/:file -> getApiPeriodsPeriodFile */
export function operationId(method: string, url: string): string {
  const words = url
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1));
  return method.toLowerCase() + (words.join('') || 'Root');
}

const DASHBOARD = /^\/(api\/dashboard(\/|$)|meters(\/|$)|periods$|assets\/|$)/;

/** `/assets/*` -> `/assets/:file`: OpenAPI has no wildcard, a named path parameter says the same. */
const namedWildcard = (url: string) => url.replace(/\/\*$/, '/:file');

/** Every operation documents a success, and a path parameter that names nothing is a 404. */
function withAnswers(response: Record<string, unknown> | undefined, url: string): Record<string, unknown> {
  const r = { ...response };
  if (!Object.keys(r).some((k) => k.startsWith('2'))) r[200] = { description: 'The answer (see the summary).' };
  if (/[:*]/.test(url) && !r[404]) r[404] = { description: 'Nothing by that name.', ...ERROR_ANSWER };
  return r;
}

export function documentRoute(input: TransformInput): { schema: Schema; url: string } {
  const { schema: base, url } = jsonSchemaTransform(input) as { schema: Schema; url: string };
  const method = [input.route.method].flat()[0] ?? 'GET';
  const right = routeRight(method, input.route.url);
  const schema: Schema = { ...base };
  schema.operationId ??= operationId(method, namedWildcard(url).replace(/:/g, ''));
  if (!schema.tags?.length && DASHBOARD.test(url)) schema.tags = ['dashboard'];
  if (url.endsWith('/*') && !schema.params)
    schema.params = { type: 'object', properties: { file: { type: 'string' } }, required: ['file'] };
  if (!right || right.role === 'public') schema.security = [];
  else {
    schema.security = GUARDED;
    const role = right.param
      ? `${right.role} (${right.param.role} for ${right.param.name} ${right.param.match})`
      : right.role;
    schema.description = [base.description, `Needs the role ${role} or above.`].filter(Boolean).join('\n\n');
    schema.response = {
      401: { description: 'No valid token or session.', ...ERROR_ANSWER },
      403: { description: 'The role or the taxpayer does not allow it.', ...ERROR_ANSWER },
      ...base.response,
    };
  }
  schema.response = withAnswers(schema.response, url);
  return { schema, url: namedWildcard(url) };
}

/** Route options that only describe a route (one that validates its input itself): a summary and a tag. */
export const doc = (summary: string, tag = 'dashboard') => ({ schema: { tags: [tag], summary } });
