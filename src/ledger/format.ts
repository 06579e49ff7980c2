/** The ledger report as CSV (src/ledger/csv.ts) or as a plain-text table for people. */
import { formatMilliTiyn, formatWhAsKwh } from '../fees/index.ts';
import { localizeDecimal } from '../i18n/number-format.js';
import { declaredLinesCsv, ledgerLinesCsv } from './csv.ts';
import type { LedgerReport } from './report.ts';

/** The ledger as CSV: its lines, or its declared lines, in the accountant's vocabulary (src/ledger/csv.ts). */
export function toCsv(report: LedgerReport, table: 'lines' | 'declared' = 'lines'): string {
  return table === 'lines' ? ledgerLinesCsv(report.period.label, report.lines) : declaredLinesCsv(report.declared);
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

/**
 * A page for people: header, declared lines, totals per meter, substituted lines, cost of outages. Figures are
 * the engine's exact decimals written by the one number formatter (digits grouped: 3,322,466.00 in en).
 */
export function toTable(report: LedgerReport, maxSubstitutedLines = 50, lang = 'en'): string {
  const num = (t: string | number) => localizeDecimal(String(t), lang);
  const kwh = (wh: number) => num(formatWhAsKwh(wh));
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
        num(d.energyKwh),
        num(d.feeTenge),
        num(d.amountTenge),
      ]),
      4,
    ),
  );
  const t = report.totals;
  parts.push(
    `Total: ${num(t.energyKwh)} kWh (metered ${kwh(t.meteredWh)}, substituted ${kwh(t.substitutedWh)}); exact ${num(t.feeTenge)} tenge; amount due ${num(t.declaredTenge)} tenge`,
  );
  parts.push('');
  parts.push('Per taxpayer (its own meters only, wherever hosted; amount due = its rounded declared lines)');
  parts.push(
    textTable(
      ['taxpayer', 'name', 'sites', 'kWh', 'substituted kWh', 'exact tenge', 'amount due tenge'],
      report.taxpayers.map((x) => [
        x.bin,
        x.name ?? '-',
        x.sites.join(' '),
        num(x.energyKwh),
        kwh(x.substitutedWh),
        num(x.feeTenge),
        num(x.declaredTenge),
      ]),
      3,
    ),
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
        num(formatMilliTiyn(m.feeMilliTiyn)),
        num(outage.get(m.key) ?? '0.00000'),
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
            num(l.energyKwh),
            l.registerDeltaWh === null ? '-' : kwh(l.registerDeltaWh),
            num(l.feeTenge),
          ]),
        4,
      ),
    );
  }
  parts.push(`Cost of outages under ${report.policy.name}: ${num(report.outageCost.tenge)} tenge`);
  return `${parts.join('\n')}\n`;
}
