/**
 * Issue 26: every catalogue has every message of the English one (same keys, functions where en has
 * functions, taking as many values), and the ru and kk texts are not English left in place.
 */
import { describe, expect, it } from 'vitest';
import { CATALOGUES } from '../../../src/i18n/catalogues.js';

type Tree = Record<string, unknown>;
function leaves(t: unknown, path = ''): [string, unknown][] {
  if (t === null || typeof t !== 'object' || Array.isArray(t)) return [[path, t]];
  return Object.entries(t as Tree).flatMap(([k, v]) => leaves(v, path ? `${path}.${k}` : k));
}

/** A message's text for comparison: a function called with placeholder values. */
const sample = (v: unknown): string =>
  typeof v === 'function'
    ? String(v(...Array.from({ length: v.length }, (_, i) => (i === 0 ? 2 : `X${i}`))))
    : String(v);

// Words that are the same in every language: names, units, formats, identifiers.
const SAME = new Set(['appTitle', 'common.none', 'common.tenge', 'overview.quotaPct', 'periods.pct', 'csv.headers']);

describe('message catalogues (issue 26)', () => {
  const en = new Map(leaves(CATALOGUES.en));
  for (const lang of ['ru', 'kk'] as const) {
    it(`${lang} has exactly the messages of en, of the same kind`, () => {
      const other = new Map(leaves(CATALOGUES[lang]));
      const skip = (k: string) => k.startsWith('csv.headers');
      expect([...other.keys()].filter((k) => !skip(k)).sort()).toEqual([...en.keys()].filter((k) => !skip(k)).sort());
      for (const [k, v] of en) {
        if (skip(k)) continue;
        expect(typeof other.get(k), k).toBe(typeof v);
        if (typeof v === 'function') expect((other.get(k) as () => void).length, k).toBe(v.length);
      }
    });

    it(`${lang} translates every message with words (no English sentence left)`, () => {
      const untranslated = [...new Map(leaves(CATALOGUES[lang]))]
        .filter(([k]) => !SAME.has(k) && !k.startsWith('language.names') && k !== 'code')
        .map(([k, v]) => [k, sample(v)] as const)
        .filter(
          ([k, text]) =>
            /[A-Za-z]{3,}/.test(text.replace(/kzmeter|HTTP|API|UTC|SHA-256|CSV|JSON|YYYY|--\w+|TEXT/g, '')) &&
            text === sample(new Map(leaves(CATALOGUES.en)).get(k)),
        );
      expect(untranslated).toEqual([]);
    });

    it(`${lang} CSV headers name every column the exports write`, () => {
      const h = CATALOGUES[lang].csv.headers as Record<string, string>;
      for (const col of ['period', 'taxpayer_bin', 'kwh', 'fee_tenge', 'declared_tenge', 'section', 'substituted_kwh'])
        expect(h[col], col).toMatch(/[А-Яа-яӘәҒғҚқҢңӨөҰұҮүҺһІі]/);
    });
  }
});
