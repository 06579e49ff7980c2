/**
 * Display formatting in the browser. Amounts arrive from the server as exact decimal strings written by its
 * formatters (formatTiyn, formatWhAsKwh: '1234567.890'); here they are shown in the page's language by the one
 * number formatter the server uses too (src/i18n/number-format.js, served at /assets/i18n/): from the digits,
 * never through a float. Times arrive as UTC ISO strings and are shown in the site's zone.
 */
import { LANG, S } from '../strings.js';
import { decimalOf, localizeDecimal } from '../i18n/number-format.js';

/** '1234567.890' -> '1 234 567,890' (ru, kk) or '1,234,567.890' (en). */
export function groupDigits(text) {
  if (text === null || text === undefined) return S.common.none;
  return localizeDecimal(String(text), LANG);
}

const formatters = new Map();
function formatter(timeZone) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** An instant as 'YYYY-MM-DD HH:MM' (or with seconds) on the wall clock of `timeZone`. */
export function timeInZone(iso, timeZone, { seconds = false } = {}) {
  if (!iso) return S.common.none;
  const ms = typeof iso === 'number' ? iso : Date.parse(iso);
  const p = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(new Date(ms))
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${seconds ? `:${p.second}` : ''}`;
}

/** 9_000_000 -> '2 h 30 min'; the two largest units. */
export function duration(ms) {
  if (!(ms >= 0)) return S.common.none;
  const units = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['min', 60_000],
    ['s', 1000],
  ];
  const parts = [];
  let rest = Math.floor(ms);
  for (const [u, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || (parts.length === 0 && u === 's')) parts.push(`${n} ${S.duration[u]}`);
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** A measured (not monetary) number with fixed decimals, per language: 1234.5 -> '1 234,5' (ru). */
export function fixed(value, decimals) {
  return value === null || value === undefined ? S.common.none : decimalOf(Number(value), decimals, LANG);
}
