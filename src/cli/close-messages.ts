/**
 * The close and export commands' words for people, in the language of `--lang`, KZM_LANG or the shell's LANG
 * (ru_RU.UTF-8 -> ru), else English; amounts through the one number formatter (src/i18n/number-format.js).
 */
import { CATALOGUES } from '../i18n/catalogues.js';
import { isLang, type Lang } from '../i18n/lang.js';
import { kwhOf, localizeDecimal, tenge } from '../i18n/number-format.js';
import type { ClosePreview, CloseCheck } from '../periods/close-preview.ts';

export function cliLang(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Lang {
  for (const v of [flag, env.KZM_LANG, env.LC_ALL, env.LC_MESSAGES, env.LANG]) {
    const base = v?.toLowerCase().split(/[_.@-]/)[0];
    if (isLang(base)) return base;
  }
  return 'en';
}

export const cliMessages = (lang: Lang) => CATALOGUES[lang];

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function checkText(c: CloseCheck, lang: Lang, names: Record<string, string>): string {
  const P = CATALOGUES[lang].periods.preview;
  const n = (v: string) => localizeDecimal(v, lang);
  if (c.kind === 'invoice')
    return c.status === 'metered-above-invoiced'
      ? P.checkInvoiceAbove(c.site, c.month, n(c.invoicedKwh), n(c.ledgerKwh))
      : P.checkInvoiceOut(
          c.site,
          c.month,
          n(c.invoicedKwh),
          n(c.ledgerKwh),
          n(String(c.differencePct ?? '-')),
          c.minPct,
          c.maxPct,
        );
  if (c.kind === 'seal') return P.checkSeal(c.problem);
  return c.kind === 'silent'
    ? P.checkSilent(c.meters.length, c.meters.join(', '))
    : P.checkShare(
        names[c.taxpayerBin] ? `${names[c.taxpayerBin]} (${c.taxpayerBin})` : c.taxpayerBin,
        localizeDecimal(String(c.substitutedPct), lang),
        localizeDecimal(c.substitutedKwh, lang),
        c.limitPct,
      );
}

/** `close --preview`: what a close would freeze, per taxpayer and source, and what needs an acknowledgement. */
export function previewText(
  pv: ClosePreview & {
    period: string;
    taxpayer: string | null;
    closedVersion: number | null;
    taxpayerNames: Record<string, string>;
  },
  lang: Lang,
): string {
  const M = CATALOGUES[lang];
  const out = [M.cli.previewTitle(pv.period, pv.taxpayer), ''];
  if (pv.closedVersion !== null) out.push(M.cli.previewClosed(pv.closedVersion), '');
  out.push(
    table(
      M.cli.previewCols,
      pv.rows.map((r) => [
        pv.taxpayerNames[r.taxpayerBin] ? `${pv.taxpayerNames[r.taxpayerBin]} (${r.taxpayerBin})` : r.taxpayerBin,
        M.sources[r.energySource] ?? r.energySource,
        kwhOf(r.meteredWh, lang),
        kwhOf(r.substitutedWh, lang),
        localizeDecimal(String(r.substitutedPct), lang),
        tenge(r.amountTiyn, lang),
      ]),
    ),
  );
  out.push('', M.cli.previewTotal(tenge(pv.totalAmountTiyn, lang)));
  if (pv.metersWithoutReadings.length) out.push(M.cli.previewSilent(pv.metersWithoutReadings.join(', ')));
  if (pv.checks.length) {
    out.push('', M.cli.previewChecks);
    for (const c of pv.checks) out.push(`  - ${checkText(c, lang, pv.taxpayerNames)}`);
  } else out.push('', M.cli.previewReady);
  return out.join('\n');
}
