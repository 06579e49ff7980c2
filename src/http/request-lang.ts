/**
 * The language of an answer for people (pages, the login page, exports): `?lang=ru|kk|en` (kept in a cookie for
 * the next pages), else the user's
 * profile (`kzmeter users set-lang`), else the browser's Accept-Language, else `http.defaultLang`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { cookieValue } from '../auth/principal.ts';
import { isLang, type Lang, pickLang } from '../i18n/lang.js';

/** The language last chosen with ?lang= in this browser: pages linked without it keep it. */
export const LANG_COOKIE = 'kzm_lang';

export function requestLang(req: FastifyRequest, fallback: Lang = 'en'): Lang {
  const query = (req.query ?? {}) as Record<string, unknown>;
  const chosen = cookieValue(req.headers.cookie, LANG_COOKIE);
  return pickLang({
    query: isLang(query.lang) ? query.lang : chosen,
    profile: req.principal?.lang,
    acceptLanguage: req.headers['accept-language'],
    fallback,
  });
}

/** A page asked with ?lang=: remember the choice for the pages and exports it links to (no secret, one year). */
export function rememberLang(req: FastifyRequest, reply: FastifyReply): void {
  const lang = ((req.query ?? {}) as Record<string, unknown>).lang;
  if (isLang(lang)) void reply.header('set-cookie', `${LANG_COOKIE}=${lang}; Path=/; Max-Age=31536000; SameSite=Lax`);
}
