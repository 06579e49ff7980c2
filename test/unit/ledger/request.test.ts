import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { ledgerQuerySchema, resolveLedgerRequest } from '../../../src/ledger/request.ts';
import { describeIssues } from '../../../src/util/zod-error.ts';
import { loadRegistry } from '../../../src/registry/load.ts';

const registry = loadRegistry(fileURLToPath(new URL('../../../devices', import.meta.url)));
const at = (iso: string) => Date.parse(iso);

function resolve(query: object, nowMs = at('2026-01-10T00:00+05:00')) {
  const q = ledgerQuerySchema.safeParse(query);
  if (!q.success) return { ok: false as const, reason: describeIssues(q.error) };
  return resolveLedgerRequest(registry, q.data, nowMs);
}

describe('ledger request resolution', () => {
  it('a quarter is cut at local midnights of the site zone (Q1 2024: 2185 h)', () => {
    const r = resolve({ period: '2024-Q1', site: 'ekb-1' });
    if (!r.ok) throw new Error(r.reason);
    expect((r.value.toMs - r.value.fromMs) / 3_600_000).toBe(2185);
    expect(r.value.complete).toBe(true);
    expect(r.value.policy).toMatchObject({ name: 'strict', graceIntervals: 3, spikeTolerance: 1.1 });
  });

  it('from/to dates are local midnights, to exclusive; date-times are taken as given', () => {
    const r = resolve({ from: '2025-07-01', to: '2025-07-02T06:00Z', taxpayer: '990140004654' });
    if (!r.ok) throw new Error(r.reason);
    expect(
      r.value.meters.every((m) => m.fromMs === at('2025-06-30T19:00Z') && m.toMs === at('2025-07-02T06:00Z')),
    ).toBe(true);
    expect(r.value.meters.every((m) => m.facts.taxpayerBin === '990140004654')).toBe(true);
  });

  it('a running period is cut at now and marked incomplete', () => {
    const now = at('2025-08-15T10:00+05:00');
    const r = resolve({ period: '2025-Q3' }, now);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.complete).toBe(false);
    expect(r.value.asOfMs).toBe(now);
    expect(r.value.meters.every((m) => m.toMs === now)).toBe(true);
    expect(r.value.toMs).toBe(at('2025-10-01T00:00+05:00'));
    expect(r.value.meters).toHaveLength(registry.meters.length);
  });

  it.each([
    { name: 'bad quarter', q: { period: '2025-Q0' }, msg: /expected YYYY-Qn/ },
    { name: 'bad month', q: { period: '2025-13' }, msg: /month must be 01..12/ },
    { name: 'unknown site', q: { period: '2025-Q3', site: 'x' }, msg: /unknown site "x" \(known: ekb-1/ },
    { name: 'from = to', q: { from: '2025-07-01', to: '2025-07-01' }, msg: /from must be before to/ },
    { name: 'future', q: { period: '2026-Q2' }, msg: /has not started yet/ },
    { name: 'only from', q: { from: '2025-07-01' }, msg: /to: give period/ },
  ])('refuses $name', ({ q, msg }) => {
    const r = resolve(q);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(msg);
  });
});
