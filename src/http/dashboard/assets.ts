/**
 * The dashboard's browser files, served from memory: everything under dashboards/web/ at /assets/<path>
 * the shared catalogues and number formatter (src/i18n/*.js) at /assets/i18n/, and uPlot's ESM build and CSS from node_modules at /assets/vendor/ (no CDN: the dashboard works
 * offline). A fixed table read once at start, so no request path ever reaches the file system; text is
 * gzipped once when the browser accepts it; an ETag answers repeat visits with 304.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../../dashboards/web/', import.meta.url));
/** The message catalogues and the number formatter, shared with the server: served at /assets/i18n/. */
export const I18N_DIR = fileURLToPath(new URL('../../i18n/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
};

export interface Asset {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip?: Buffer;
  readonly etag: string;
}

function asset(file: string): Asset {
  return textAsset(readFileSync(file), TYPES[extname(file)] ?? 'application/octet-stream');
}

/** An asset from its bytes (a file's, or a page's made per language). */
export function textAsset(content: Buffer | string, type: string): Asset {
  const body = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  const gzip = /^(text|image\/svg)/.test(type) && body.length > 1024 ? gzipSync(body, { level: 9 }) : undefined;
  return {
    type,
    body,
    ...(gzip && { gzip }),
    etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 20)}"`,
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** URL path (under /assets/) -> asset. Only files with a known type; uPlot resolved through its package. */
export function loadAssets(webDir = DEFAULT_WEB_DIR): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const file of filesUnder(webDir)) {
    if (TYPES[extname(file)]) out.set(relative(webDir, file).split(sep).join('/'), asset(file));
  }
  for (const file of filesUnder(I18N_DIR))
    if (extname(file) === '.js') out.set(`i18n/${relative(I18N_DIR, file).split(sep).join('/')}`, asset(file));
  const require = createRequire(import.meta.url);
  out.set('vendor/uPlot.esm.js', asset(require.resolve('uplot/dist/uPlot.esm.js')));
  out.set('vendor/uPlot.min.css', asset(require.resolve('uplot/dist/uPlot.min.css')));
  return out;
}

export function sendAsset(
  req: FastifyRequest,
  reply: FastifyReply,
  a: Asset,
  headers: Record<string, string> = {},
): FastifyReply {
  void reply
    .header('etag', a.etag)
    .header('cache-control', 'no-cache')
    .header('vary', 'accept-encoding')
    .header('x-content-type-options', 'nosniff');
  for (const [k, v] of Object.entries(headers)) void reply.header(k, v);
  if (req.headers['if-none-match'] === a.etag) return reply.status(304).send();
  void reply.type(a.type);
  if (a.gzip && /\bgzip\b/.test(req.headers['accept-encoding'] ?? ''))
    return reply.header('content-encoding', 'gzip').send(a.gzip);
  return reply.send(a.body);
}
