/**
 * The ledger report as CSV or as a plain-text table. CSV: UTF-8, comma
 * separated, a header row, "\n" line ends, '.' as decimal point, no thousands
 * separators, times in UTC ISO 8601; the column order below is stable (new
 * columns are only ever appended).
 */
import { formatMilliTiyn, formatWhAsKwh } from '../fees/index.ts';
import type { LedgerReport, ReportDeclaredLine, ReportLine } from './report.ts';

type Column<T> = readonly [name: string, value: (row: T) => string | number | null | undefined];

/** Ledger lines, one row each. */
export const LINE_COLUMNS: readonly Column<ReportLine>[] = [
  ['meter_id', (l) => l.meterId],
  ['site_id', (l) => l.siteId],
  ['taxpayer_bin', (l) => l.taxpayerBin],
  ['from_utc', (l) => l.from],
  ['to_utc', (l) => l.to],
  ['basis', (l) => l.basis],
  ['reason', (l) => l.reason],
  ['energy_source', (l) => l.energySource],
  ['energy_wh', (l) => l.energyWh],
  ['energy_kwh', (l) => l.energyKwh],
  ['register_delta_wh', (l) => l.registerDeltaWh],
  ['max_load_w', (l) => l.maxLoadW],
  ['rate_tiyn_per_kwh', (l) => l.rateTiynPerKwh],
  ['fee_milli_tiyn', (l) => l.feeMilliTiyn],
  ['fee_tenge', (l) => l.feeTenge],
  ['tariff_id', (l) => l.tariffId],
  ['tariff_version', (l) => l.tariffVersion],
  ['rule', (l) => l.rule],
  ['tax_quarter', (l) => l.taxQuarter],
];

/** Declared lines (one per taxpayer x quarter x source x basis x rate x schedule), rounded once each. */
export const DECLARED_COLUMNS: readonly Column<ReportDeclaredLine>[] = [
  ['taxpayer_bin', (d) => d.taxpayerBin],
  ['tax_quarter', (d) => d.taxQuarter],
  ['energy_source', (d) => d.energySource],
  ['basis', (d) => d.basis],
  ['rate_tiyn_per_kwh', (d) => d.rateTiynPerKwh],
  ['tariff_id', (d) => d.tariffId],
  ['tariff_version', (d) => d.tariffVersion],
  ['rounding_rule', (d) => d.roundingRule],
  ['line_count', (d) => d.lineCount],
  ['energy_wh', (d) => d.energyWh],
  ['energy_kwh', (d) => d.energyKwh],
  ['fee_milli_tiyn', (d) => d.feeMilliTiyn],
  ['fee_tenge', (d) => d.feeTenge],
  ['amount_tiyn', (d) => d.amountTiyn],
  ['amount_tenge', (d) => d.amountTenge],
];

function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(6)) : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const out = [columns.map(([name]) => name).join(',')];
  for (const r of rows) out.push(columns.map(([, f]) => csvCell(f(r))).join(','));
  return `${out.join('\n')}\n`;
}

export function toCsv(report: LedgerReport, table: 'lines' | 'declared' = 'lines'): string {
  return table === 'lines' ? csv(LINE_COLUMNS, report.lines) : csv(DECLARED_COLUMNS, report.declared);
}

function textTable(head: readonly string[], rows: readonly (readonly (string | number)[])[], rightFrom = 1): string {
  const cells = [head, ...rows].map((r) => r.map(String));
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const fmt = (r: readonly string[]) =>
    r
      .map((c, i) => (i >= rightFrom ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(fmt)].join('\n');
}

const kwh = formatWhAsKwh;

/** A page for people: header, declared lines, totals per meter, substituted lines, cost of outages. */
export function toTable(report: LedgerReport, maxSubstitutedLines = 50): string {
  const p = report.period;
  const parts: string[] = [];
  parts.push(
    `Ledger ${p.label}  ${p.from} .. ${p.to}${p.complete ? '' : `  (period in progress: so far, as of ${p.asOf})`}`,
  );
  parts.push(
    `Scope: ${report.scope.site ? `site ${report.scope.site}` : report.scope.taxpayer ? '' : 'all sites'}${report.scope.taxpayer ? `${report.scope.site ? ', ' : ''}taxpayer ${report.scope.taxpayer}` : ''}; ${report.scope.meters.length} meters`,
  );
  parts.push(
    `Policy: ${report.policy.name} (grace ${report.policy.graceIntervals} intervals, spike tolerance ${report.policy.spikeTolerance}); tariffs ${report.tariffs.map((t) => `${t.id} v${t.version}`).join(', ') || '-'}; registry ${report.registryVersion}`,
  );
  parts.push('');
  parts.push('Declared lines (each rounded once)');
  parts.push(
    textTable(
      ['taxpayer', 'quarter', 'source', 'basis', 'rate tiyn/kWh', 'kWh', 'exact tenge', 'declared tenge'],
      report.declared.map((d) => [
        d.taxpayerBin,
        d.taxQuarter,
        d.energySource,
        d.basis,
        d.rateTiynPerKwh,
        d.energyKwh,
        d.feeTenge,
        d.amountTenge,
      ]),
      4,
    ),
  );
  const t = report.totals;
  parts.push(
    `Total: ${t.energyKwh} kWh (metered ${kwh(t.meteredWh)}, substituted ${kwh(t.substitutedWh)}); exact ${t.feeTenge} tenge; amount due ${t.declaredTenge} tenge`,
  );
  parts.push('');
  parts.push('Per meter');
  const outage = new Map(report.outageCost.byMeter.map((o) => [o.meterId, o.tenge]));
  parts.push(
    textTable(
      ['meter', 'lines', 'kWh', 'metered kWh', 'substituted kWh', 'exact tenge', 'outage cost tenge'],
      report.summaries.byMeter.map((m) => [
        m.key,
        m.lineCount,
        kwh(m.energyWh),
        kwh(m.meteredWh),
        kwh(m.substitutedWh),
        formatMilliTiyn(m.feeMilliTiyn),
        outage.get(m.key) ?? '0.00000',
      ]),
    ),
  );
  const subst = report.lines.filter((l) => l.basis === 'substituted' || l.reason !== undefined);
  parts.push('');
  parts.push(
    `Substituted or reconciled lines (${subst.length}${subst.length > maxSubstitutedLines ? `, first ${maxSubstitutedLines}` : ''})`,
  );
  if (subst.length) {
    parts.push(
      textTable(
        ['meter', 'from (UTC)', 'to (UTC)', 'reason', 'kWh', 'register kWh', 'tenge'],
        subst
          .slice(0, maxSubstitutedLines)
          .map((l) => [
            l.meterId,
            l.from,
            l.to,
            l.reason ?? l.basis,
            l.energyKwh,
            l.registerDeltaWh === null ? '-' : kwh(l.registerDeltaWh),
            l.feeTenge,
          ]),
        4,
      ),
    );
  }
  parts.push(`Cost of outages under ${report.policy.name}: ${report.outageCost.tenge} tenge`);
  return `${parts.join('\n')}\n`;
}
