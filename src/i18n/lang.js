// @ts-check
/**
 * The languages kzmeter speaks and how a request picks one. Plain JavaScript so the browser (served at
 * /assets/i18n/, src/http/dashboard/assets.ts) and the server share one file.
 * Order of choice: `?lang=` > the user's profile > Accept-Language > the configured default > en.
 */
export const LANGS = /** @type {const} */ (['ru', 'kk', 'en']);
/** @typedef {'ru' | 'kk' | 'en'} Lang */

/** @param {unknown} v @returns {v is Lang} */
export const isLang = (v) => typeof v === 'string' && /** @type {readonly string[]} */ (LANGS).includes(v);

/**
 * The best of ours for an Accept-Language header ('ru-RU,ru;q=0.9,en;q=0.8'), by q then order; undefined if none.
 * @param {string | undefined} header
 * @returns {Lang | undefined}
 */
export function fromAcceptLanguage(header) {
  if (!header) return undefined;
  const tags = header
    .slice(0, 1000)
    .split(',')
    .slice(0, 30)
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean);
      return { base: tag.trim().toLowerCase().split('-')[0] ?? '', q: q ? Number(q[1]) : 1, i };
    })
    .filter((t) => t.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  return tags.map((t) => t.base).find(isLang);
}

/**
 * @param {{ query?: unknown, profile?: unknown, acceptLanguage?: string, fallback?: unknown }} from
 * @returns {Lang}
 */
export function pickLang({ query, profile, acceptLanguage, fallback }) {
  if (isLang(query)) return query;
  if (isLang(profile)) return profile;
  return fromAcceptLanguage(acceptLanguage) ?? (isLang(fallback) ? fallback : 'en');
}
