/**
 * The printable declaration report: one A4 page per taxpayer, self-contained
 * (inline CSS, no scripts, fonts or images from anywhere). A pure function of
 * the snapshot (and the late-data report when given) and the language: same input, same bytes. Headings and
 * labels come from the language's catalogue (src/i18n); figures are the same exact values in every language,
 * written with the language's separators (src/i18n/number-format.js).
 */
import { formatMilliTiyn, formatTiyn, formatWhAsKwh } from '../fees/index.ts';
import { CATALOGUES } from '../i18n/catalogues.js';
import type { Lang } from '../i18n/lang.js';
import { localizeDecimal } from '../i18n/number-format.js';
import type { LateDataReport, PeriodSnapshot, SnapshotLine } from './snapshot-types.ts';
import type { QuarterDueDates } from '../fees/index.ts';

const esc = (s: string | number): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const tr = (cells: readonly (string | number)[], tag = 'td') =>
  `<tr>${cells.map((c) => `<${tag}>${esc(c)}</${tag}>`).join('')}</tr>`;
const table = (head: readonly string[], rows: readonly (readonly (string | number)[])[]) =>
  `<table><thead>${tr(head, 'th')}</thead><tbody>${rows.map((r) => tr(r)).join('')}</tbody></table>`;

const CSS = `@page { size: A4; margin: 14mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 9pt; color: #000; margin: 0; }
section.taxpayer + section.taxpayer { page-break-before: always; break-before: page; }
section.taxpayer { page-break-inside: auto; }
h1 { font-size: 14pt; margin: 0 0 4pt; } h2 { font-size: 10.5pt; margin: 8pt 0 3pt; }
table { border-collapse: collapse; width: 100%; margin-bottom: 4pt; }
th, td { border: 0.5pt solid #666; padding: 1.5pt 3pt; text-align: left; }
td:nth-child(n+2) { font-variant-numeric: tabular-nums; }
.meta td:first-child { width: 35%; font-weight: bold; }
.digest { font-family: "DejaVu Sans Mono", monospace; font-size: 7pt; word-break: break-all; }
.total { font-weight: bold; }`;

function substitutedByReason(lines: readonly SnapshotLine[]): [string, number][] {
  const m = new Map<string, number>();
  for (const l of lines)
    if (l.basis === 'substituted') m.set(l.reason ?? '', (m.get(l.reason ?? '') ?? 0) + l.energyWh);
  return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

type Messages = (typeof CATALOGUES)['en'];

/** A quarter's due dates in words (as due-marks.ts dueDatesText says them in English). */
function dueText(d: Pick<QuarterDueDates, 'declareBy' | 'payBy' | 'tariffId'> & { verified?: boolean }, M: Messages) {
  const P = M.periods;
  const known = d.tariffId !== null || d.payBy !== null;
  const declare = d.declareBy
    ? P.dueLine.declaration(d.declareBy)
    : known
      ? P.dueNone.declaration
      : M.report.declarationUnknown;
  const pay = d.payBy ? P.dueLine.payment(d.payBy) : P.dueNone.payment;
  return `${declare}, ${pay}${d.verified === false && known ? ` (${P.unverified})` : ''}`;
}

function history(s: PeriodSnapshot, M: Messages): string {
  const R = M.report;
  const rows = s.previousVersions.map((v) => [
    `v${v.version}`,
    v.closedAt,
    v.closedBy,
    R.reopened(v.reopenedAt, v.reopenedBy, v.reopenReason),
    v.digest,
  ]);
  rows.push([R.thisVersion(s.version), s.closedAt, s.closedBy, s.reason ?? '', s.digest]);
  return table(R.historyCols, rows).replace(/<td>sha256/g, '<td class="digest">sha256');
}

function taxpayerSection(
  s: PeriodSnapshot,
  tp: { bin: string; name: string },
  M: Messages,
  late?: LateDataReport,
): string {
  const R = M.report;
  const num = (text: string) => localizeDecimal(text, M.code);
  const word = (map: Record<string, string>, key: string) => map[key] ?? key;
  const declared = s.declared.filter((d) => d.taxpayerBin === tp.bin);
  const lines = s.lines.filter((l) => l.taxpayerBin === tp.bin);
  const totals = s.totals.byTaxpayer.find((t) => t.key === tp.bin);
  const amountTiyn = declared.reduce((a, d) => a + d.amountTiyn, 0);
  const quarters = new Set(declared.map((d) => d.taxQuarter));
  const due = s.dueDates.filter((d) => quarters.has(d.taxQuarter));
  const operatorName = (bin: string) => s.taxpayers.find((t) => t.bin === bin)?.name ?? bin;
  const sites = s.sites
    .filter((x) => x.taxpayerBin === tp.bin)
    .map(
      (x) =>
        `${x.name} (${x.operatorBin ? R.hosted(x.id, `${operatorName(x.operatorBin)}, ${R.bin} ${x.operatorBin}`) : x.id})`,
    )
    .join(', ');
  const meters = new Set(lines.map((l) => l.meterId));
  const lateRows = (late?.meters ?? []).filter((m) => meters.has(m.meterId));
  const subst = substitutedByReason(lines);
  return `<section class="taxpayer" data-bin="${esc(tp.bin)}">
<h1>${esc(R.heading(s.period))}</h1>
<table class="meta"><tbody>
${tr([R.taxpayer, tp.name])}${tr([R.bin, tp.bin])}${tr([R.period, R.periodRange(s.period, s.firstDay, s.lastDay)])}${tr([R.sites, sites])}
${due.map((d) => tr([R.dueDates(d.taxQuarter), dueText(d, M)])).join('')}
${tr([R.snapshot, R.snapshotText(s.version, s.closedAt, s.closedBy)])}
</tbody></table>
<h2>${esc(R.declaredTitle)}</h2>
${table(
  R.declaredCols,
  declared.map((d) => [
    d.taxQuarter,
    word(M.sources, d.energySource),
    word(M.terms.basis, d.basis),
    num(formatTiyn(d.rateTiynPerKwh)),
    num(formatWhAsKwh(d.energyWh)),
    num(formatMilliTiyn(d.feeMilliTiyn)),
    `${word(M.terms.rounding, d.roundingRule)} (${d.roundingRule})`,
    num(formatMilliTiyn(d.roundingMilliTiyn)),
    num(formatTiyn(d.amountTiyn)),
  ]),
)}
<table><tbody><tr class="total"><td>${esc(R.totalKwh)}</td><td class="total-kwh">${esc(num(formatWhAsKwh(totals?.energyWh ?? 0)))}</td><td>${esc(R.amountDue)}</td><td class="amount-due">${esc(num(formatTiyn(amountTiyn)))}</td></tr></tbody></table>
<h2>${esc(R.substitutedTitle)}</h2>
${
  subst.length
    ? table(
        R.substitutedCols,
        subst.map(([r, wh]) => [word(M.reasons, r), num(formatWhAsKwh(wh))]),
      )
    : `<p>${esc(R.noSubstituted)}</p>`
}
${
  lateRows.length
    ? `<h2>${esc(R.lateTitle)}</h2>${table(
        R.lateCols,
        lateRows.map((m) => [
          m.meterId,
          m.lateReadings,
          num(formatWhAsKwh(m.differenceWh)),
          num(formatMilliTiyn(m.differenceMilliTiyn)),
        ]),
      )}`
    : ''
}
<h2>${esc(R.basisTitle)}</h2>
${table(R.basisCols, [
  [R.registryVersion, s.registryVersion],
  [R.tariffs, s.tariffs.map((t) => `${t.id} v${t.version}`).join(', ')],
  [R.policy, R.policyText(s.policy.name, s.policy.graceIntervals, s.policy.spikeTolerance)],
  [R.engineVersion, s.engineVersion],
])}
<h2>${esc(R.historyTitle)}</h2>
${history(s, M)}
<p class="digest">${esc(R.digest)} ${esc(s.digest)}</p>
</section>`;
}

export function reportHtml(s: PeriodSnapshot, late?: LateDataReport, lang: Lang = 'en'): string {
  const M = CATALOGUES[lang];
  const withLines = new Set(s.lines.map((l) => l.taxpayerBin));
  const taxpayers = s.taxpayers.filter((t) => withLines.has(t.bin));
  return `<!DOCTYPE html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${esc(M.report.docTitle(s.period, s.version))}</title>
<style>${CSS}</style></head>
<body>
${taxpayers.map((t) => taxpayerSection(s, t, M, late)).join('\n')}
</body></html>
`;
}
