/**
 * The language of an answer for people (pages, the login page, exports): `?lang=ru|kk|en`, else the user's
 * profile (`kzmeter users set-lang`), else the browser's Accept-Language, else `http.defaultLang`.
 */
import type { FastifyRequest } from 'fastify';
import { type Lang, pickLang } from '../i18n/lang.js';

export function requestLang(req: FastifyRequest, fallback: Lang = 'en'): Lang {
  const query = (req.query ?? {}) as Record<string, unknown>;
  return pickLang({
    query: query.lang,
    profile: req.principal?.lang,
    acceptLanguage: req.headers['accept-language'],
    fallback,
  });
}
