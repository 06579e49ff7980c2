/**
 * The dashboard's pages and browser files: /, /meters, /meters/:id and /periods all answer the same HTML
 * shell (dashboards/web/index.html; app.js picks the page from the path), with a content security
 * policy that lets a page load only what this server sends. /assets/* serves the asset table.
 */
import type { FastifyInstance } from 'fastify';
import { doc } from '../openapi-doc.ts';
import type { Registry } from '../../registry/types.ts';
import { DEFAULT_WEB_DIR, loadAssets, sendAsset } from './assets.ts';
import { meterParams, parseInput } from './query-schemas.ts';
import { PAGE_CSP } from '../plugins/security-headers.ts';

const PAGE_HEADERS = { 'content-security-policy': PAGE_CSP };

export function pageRoutes(app: FastifyInstance, deps: { registry: Registry; webDir?: string }): void {
  const assets = loadAssets(deps.webDir ?? DEFAULT_WEB_DIR);
  const shell = assets.get('index.html');
  if (!shell) throw new Error(`dashboard: no index.html in ${deps.webDir ?? DEFAULT_WEB_DIR}`);
  const PAGE_TITLES: Record<string, string> = { '/': 'overview', '/meters': 'meters', '/periods': 'periods' };
  for (const path of ['/', '/meters', '/periods'])
    app.get(path, doc(`The dashboard's ${PAGE_TITLES[path]} page (HTML)`), async (req, reply) =>
      sendAsset(req, reply, shell, PAGE_HEADERS),
    );
  app.get('/meters/:id', doc("The dashboard's page of one meter (HTML)"), async (req, reply) => {
    const p = parseInput(meterParams, req.params, reply, 'path');
    if (!p) return reply;
    if (!deps.registry.meterById.has(p.id))
      return reply.status(404).type('text/plain; charset=utf-8').send(`Unknown meter "${p.id}".`);
    return sendAsset(req, reply, shell, PAGE_HEADERS);
  });
  app.get<{ Params: { '*': string } }>(
    '/assets/*',
    doc("The dashboard's browser files (scripts, styles, icons)"),
    async (req, reply) => {
      const a = assets.get(req.params['*']);
      return a ? sendAsset(req, reply, a) : reply.status(404).send({ error: `no asset "${req.params['*']}"` });
    },
  );
}
