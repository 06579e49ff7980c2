/**
 * The printable declaration report: one A4 page per taxpayer, self-contained
 * (inline CSS, no scripts, fonts or images from anywhere). A pure function of
 * the snapshot (and the late-data report when given): same input, same bytes.
 */
import { formatMilliTiyn, formatTiyn, formatWhAsKwh } from '../fees/index.ts';
import type { LateDataReport, PeriodSnapshot, SnapshotLine } from './snapshot-types.ts';
import { dueDatesText } from './due-marks.ts';

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

function history(s: PeriodSnapshot): string {
  const rows = s.previousVersions.map((v) => [
    `v${v.version}`,
    v.closedAt,
    v.closedBy,
    `reopened ${v.reopenedAt} by ${v.reopenedBy}: ${v.reopenReason}`,
    v.digest,
  ]);
  rows.push([`v${s.version} (this)`, s.closedAt, s.closedBy, s.reason ?? '', s.digest]);
  return table(['version', 'closed at (UTC)', 'closed by', 'note', 'digest'], rows).replace(
    /<td>sha256/g,
    '<td class="digest">sha256',
  );
}

function taxpayerSection(s: PeriodSnapshot, tp: { bin: string; name: string }, late?: LateDataReport): string {
  const declared = s.declared.filter((d) => d.taxpayerBin === tp.bin);
  const lines = s.lines.filter((l) => l.taxpayerBin === tp.bin);
  const totals = s.totals.byTaxpayer.find((t) => t.key === tp.bin);
  const amountTiyn = declared.reduce((a, d) => a + d.amountTiyn, 0);
  const quarters = new Set(declared.map((d) => d.taxQuarter));
  const due = s.dueDates.filter((d) => quarters.has(d.taxQuarter));
  const sites = s.sites
    .filter((x) => x.taxpayerBin === tp.bin)
    .map((x) => `${x.name} (${x.id}${x.operatorBin ? `, hosted: operator BIN ${x.operatorBin}` : ''})`)
    .join(', ');
  const meters = new Set(lines.map((l) => l.meterId));
  const lateRows = (late?.meters ?? []).filter((m) => meters.has(m.meterId));
  const subst = substitutedByReason(lines);
  return `<section class="taxpayer" data-bin="${esc(tp.bin)}">
<h1>Digital mining fee: ${esc(s.period)}</h1>
<table class="meta"><tbody>
${tr(['Taxpayer', tp.name])}${tr(['BIN', tp.bin])}${tr(['Period', `${s.period} (${s.firstDay} to ${s.lastDay})`])}${tr(['Sites', sites])}
${due.map((d) => tr([`Due dates ${d.taxQuarter}`, dueDatesText(d)])).join('')}
${tr(['Snapshot', `version ${s.version}, closed ${s.closedAt} by ${s.closedBy}`])}
</tbody></table>
<h2>Declared lines (rounded once per line)</h2>
${table(
  [
    'quarter',
    'energy source',
    'basis',
    'rate tenge/kWh',
    'kWh',
    'exact fee tenge',
    'rounding',
    'rounding tenge',
    'declared tenge',
  ],
  declared.map((d) => [
    d.taxQuarter,
    d.energySource,
    d.basis,
    formatTiyn(d.rateTiynPerKwh),
    formatWhAsKwh(d.energyWh),
    formatMilliTiyn(d.feeMilliTiyn),
    d.roundingRule,
    formatMilliTiyn(d.roundingMilliTiyn),
    formatTiyn(d.amountTiyn),
  ]),
)}
<table><tbody><tr class="total"><td>Total kWh</td><td>${esc(formatWhAsKwh(totals?.energyWh ?? 0))}</td><td>Amount due, tenge</td><td class="amount-due">${esc(formatTiyn(amountTiyn))}</td></tr></tbody></table>
<h2>Substituted kWh (no working metering: maximum load x hours)</h2>
${
  subst.length
    ? table(
        ['reason', 'kWh'],
        subst.map(([r, wh]) => [r, formatWhAsKwh(wh)]),
      )
    : '<p>None: every kWh was metered.</p>'
}
${
  lateRows.length
    ? `<h2>Post-close adjustments (late readings, not in this declaration)</h2>${table(
        ['meter', 'late readings', 'kWh difference', 'fee difference tenge'],
        lateRows.map((m) => [
          m.meterId,
          m.lateReadings,
          formatWhAsKwh(m.differenceWh),
          formatMilliTiyn(m.differenceMilliTiyn),
        ]),
      )}`
    : ''
}
<h2>Basis</h2>
${table(
  ['item', 'value'],
  [
    ['registry version', s.registryVersion],
    ['tariffs', s.tariffs.map((t) => `${t.id} v${t.version}`).join(', ')],
    [
      'substitution policy',
      `${s.policy.name} (grace ${s.policy.graceIntervals} intervals, spike tolerance ${s.policy.spikeTolerance})`,
    ],
    ['engine version', s.engineVersion],
  ],
)}
<h2>Version history</h2>
${history(s)}
<p class="digest">Digest (SHA-256 of the canonical snapshot): ${esc(s.digest)}</p>
</section>`;
}

export function reportHtml(s: PeriodSnapshot, late?: LateDataReport): string {
  const withLines = new Set(s.lines.map((l) => l.taxpayerBin));
  const taxpayers = s.taxpayers.filter((t) => withLines.has(t.bin));
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Digital mining fee ${esc(s.period)} v${s.version}</title>
<style>${CSS}</style></head>
<body>
${taxpayers.map((t) => taxpayerSection(s, t, late)).join('\n')}
</body></html>
`;
}
