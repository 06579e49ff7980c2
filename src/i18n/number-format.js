// @ts-check
/**
 * The one number formatter (issue 26): amounts and energy shown per language, from integers (tiyn,
 * milli-tiyn, Wh) or from the canonical decimal strings the fee engine writes ('1242132.48'), never through
 * a floating-point division of money. Separators come from Intl for the language (ru, kk: no-break space and
 * comma; en: comma and point), so the browser and the server print the same text.
 * Shared by the dashboard (served at /assets/i18n/number-format.js), the exports and the CLI.
 */

/** @type {Map<string, { group: string, decimal: string }>} */
const cache = new Map();

/** @param {string} lang */
export function separators(lang) {
  let s = cache.get(lang);
  if (!s) {
    const parts = new Intl.NumberFormat(lang).formatToParts(11111.5);
    s = {
      group: parts.find((p) => p.type === 'group')?.value ?? ',',
      decimal: parts.find((p) => p.type === 'decimal')?.value ?? '.',
    };
    cache.set(lang, s);
  }
  return s;
}

/**
 * '-1234567.890' -> '-1 234 567,890' (ru) or '-1,234,567.890' (en). Text that is not a plain decimal
 * number comes back unchanged.
 * @param {string} text
 * @param {string} lang
 */
export function localizeDecimal(text, lang) {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return text;
  const { group, decimal } = separators(lang);
  const int = (m[2] ?? '').replace(/\B(?=(\d{3})+(?!\d))/g, group);
  return `${m[1]}${int}${m[3] !== undefined ? `${decimal}${m[3]}` : ''}`;
}

/**
 * An integer count of 10^-decimals units as a decimal string: (-124213248, 2) -> '-1242132.48'.
 * @param {number | bigint | string} value a safe integer, a bigint or an integer string
 * @param {number} decimals
 */
export function fixedPoint(value, decimals) {
  const text = String(value);
  if (!/^-?\d+$/.test(text) || (typeof value === 'number' && !Number.isSafeInteger(value)))
    throw new RangeError(`fixedPoint: ${text} is not an integer`);
  const negative = text.startsWith('-');
  const digits = (negative ? text.slice(1) : text).replace(/^0+(?=\d)/, '').padStart(decimals + 1, '0');
  const cut = digits.length - decimals;
  const out = decimals === 0 ? digits : `${digits.slice(0, cut)}.${digits.slice(cut)}`;
  return negative && /[1-9]/.test(digits) ? `-${out}` : out;
}

/** The tenge sign after a no-break space, as ru and kk write it (and en, for one look). */
export const TENGE = '\u00a0₸';

/** 124213248 tiyn -> '1 242 132,48 ₸' (ru). @param {number | bigint | string} tiyn @param {string} lang */
export const tenge = (tiyn, lang) => `${localizeDecimal(fixedPoint(tiyn, 2), lang)}${TENGE}`;

/** 1234567 Wh -> '1 234,567' (ru, kWh without the unit). @param {number | bigint | string} wh @param {string} lang */
export const kwhOf = (wh, lang) => localizeDecimal(fixedPoint(wh, 3), lang);

/**
 * A measured, not monetary, quantity (kW, percent) with fixed decimals, per language. Floats are fine here:
 * this is never money.
 * @param {number | null | undefined} value @param {number} decimals @param {string} lang
 */
export const decimalOf = (value, decimals, lang) =>
  value === null || value === undefined || !Number.isFinite(value)
    ? '—'
    : localizeDecimal(value.toFixed(decimals), lang);
