/**
 * The dashboard's pages and browser files: /, /meters, /meters/:id and /periods all answer the same HTML
 * shell (dashboards/web/index.html; app.js picks the page from the path), with a content security
 * policy that lets a page load only what this server sends. /assets/* serves the asset table.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { doc } from '../openapi-doc.ts';
import { type Lang, LANGS } from '../../i18n/lang.js';
import { rememberLang, requestLang } from '../request-lang.ts';
import type { Registry } from '../../registry/types.ts';
import { type Asset, DEFAULT_WEB_DIR, loadAssets, sendAsset, textAsset } from './assets.ts';
import { meterParams, parseInput } from './query-schemas.ts';
import { PAGE_CSP } from '../plugins/security-headers.ts';

// One URL answers in several languages: caches keep them apart by what chooses the language.
const LANG_PAGE_HEADERS = { 'content-security-policy': PAGE_CSP, vary: 'accept-encoding, accept-language, cookie' };

/** The shell in each language: `<html lang>` says which catalogue the browser loads (dashboards/web/strings.js). */
function shellsByLang(shell: Asset): Record<Lang, Asset> {
  const text = shell.body.toString('utf8');
  if (!text.includes('<html lang="en">')) throw new Error('dashboard: index.html has no <html lang="en">');
  return Object.fromEntries(
    LANGS.map((l) => [l, textAsset(text.replace('<html lang="en">', `<html lang="${l}">`), shell.type)]),
  ) as Record<Lang, Asset>;
}

export function pageRoutes(
  app: FastifyInstance,
  deps: { registry: Registry; webDir?: string; defaultLang?: Lang },
): void {
  const assets = loadAssets(deps.webDir ?? DEFAULT_WEB_DIR);
  const shell = assets.get('index.html');
  if (!shell) throw new Error(`dashboard: no index.html in ${deps.webDir ?? DEFAULT_WEB_DIR}`);
  const shells = shellsByLang(shell);
  const page = (req: FastifyRequest, reply: FastifyReply) => {
    rememberLang(req, reply);
    return sendAsset(req, reply, shells[requestLang(req, deps.defaultLang)], LANG_PAGE_HEADERS);
  };
  const PAGE_TITLES: Record<string, string> = { '/': 'overview', '/meters': 'meters', '/periods': 'periods' };
  for (const path of ['/', '/meters', '/periods'])
    app.get(path, doc(`The dashboard's ${PAGE_TITLES[path]} page (HTML)`), async (req, reply) => page(req, reply));
  app.get('/meters/:id', doc("The dashboard's page of one meter (HTML)"), async (req, reply) => {
    const p = parseInput(meterParams, req.params, reply, 'path');
    if (!p) return reply;
    if (!deps.registry.meterById.has(p.id))
      return reply.status(404).type('text/plain; charset=utf-8').send(`Unknown meter "${p.id}".`);
    return page(req, reply);
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
