/**
 * Request bodies bounded before they cost anything (issue 21): 1 MB of nested JSON to /api/login (no login
 * needed) cost 0.23-0.4 s of the event loop that ingest shares. Every body is limited (BODY_LIMIT_BYTES, smaller
 * per route where it is public: LOGIN_BODY_LIMIT_BYTES), read as text, and scanned for its nesting depth before
 * JSON.parse: deeper than MAX_JSON_DEPTH is a 400 at the cost of one pass over at most the limit. Guarded routes
 * are authenticated in onRequest, before their body is read at all.
 */
import type { FastifyInstance } from 'fastify';

export const BODY_LIMIT_BYTES = 64 * 1024;
export const LOGIN_BODY_LIMIT_BYTES = 4 * 1024;
export const MAX_JSON_DEPTH = 32;

/** Whether JSON text opens more than `max` arrays/objects at once (strings skipped; no parse). */
export function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return false;
}

/** The JSON body parser with the depth scan in front of Fastify's own (which guards against __proto__). */
export function boundedJsonBodies(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (jsonDeeperThan(body as string, MAX_JSON_DEPTH)) {
      const err = Object.assign(new Error(`body: JSON nested deeper than ${MAX_JSON_DEPTH} levels`), {
        statusCode: 400,
      });
      return done(err, undefined);
    }
    return parse(req, body as string, done);
  });
}
