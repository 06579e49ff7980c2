// @ts-check
/**
 * ICU plural categories through the built-in Intl.PluralRules: a message gives its forms by category
 * ({ one, few, many, other }) and `#` stands for the count, as in ICU MessageFormat's plural argument.
 * Why not intl-messageformat: the dashboard's files are plain ES modules served as they are, and that package
 * and its parser import bare specifiers (tslib, @formatjs/*) a browser cannot resolve without a bundler or an
 * import map (which the page's CSP would have to allow); Intl.PluralRules is in every browser and in Node.
 */
import { localizeDecimal } from './number-format.js';

/** @type {Map<string, Intl.PluralRules>} */
const rules = new Map();

/**
 * @param {string} lang
 * @param {number} n
 * @param {{ one?: string, few?: string, many?: string, other: string }} forms
 */
export function plural(lang, n, forms) {
  let r = rules.get(lang);
  if (!r) rules.set(lang, (r = new Intl.PluralRules(lang)));
  const cat = /** @type {'one' | 'few' | 'many' | 'other'} */ (r.select(n));
  return (forms[cat] ?? forms.other).replace('#', localizeDecimal(String(n), lang));
}
