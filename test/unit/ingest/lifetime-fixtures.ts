/**
 * Issue 17, part 1: a meter's life ends with the reading at its decommissioning instant. Site s1 has the
 * issue's meter m1 (900 s, commissioned 2025-06-01, decommissioned 2025-08-15 local midnight, 100 kW declared,
 * 90 kW drawn); site s2 has a meter replacement: m3 leaves and m4 arrives at 2025-08-15 00:00 (+05:00).
 */
import type { RegistryTexts } from '../../helpers/registry-dir.ts';
import { TAXPAYERS_YAML } from '../../helpers/registry-dir.ts';

export const LIFETIME_REGISTRY: RegistryTexts = {
  taxpayers: TAXPAYERS_YAML,
  sites: `sites:
  - { id: s1, name: Site one, taxpayer: "940140000385", timeZone: Asia/Almaty }
  - { id: s2, name: Site two, taxpayer: "940140000385", timeZone: Asia/Almaty }
`,
  meters: `meters:
  - id: m1
    site: s1
    reportingIntervalS: 900
    commissionedAt: 2025-06-01
    decommissionedAt: 2025-08-15
    sources: [{ from: 2025-06-01, source: grid }]
    maxLoadKw: 100
  - id: m3
    site: s2
    reportingIntervalS: 900
    commissionedAt: 2025-06-01
    decommissionedAt: 2025-08-15
    sources: [{ from: 2025-06-01, source: grid }]
    maxLoadKw: 100
  - id: m4
    site: s2
    reportingIntervalS: 900
    commissionedAt: 2025-08-15
    sources: [{ from: 2025-08-15, source: grid }]
    maxLoadKw: 100
`,
};

const STEP_MS = 900_000;
/** Local midnight 2025-08-15 in Asia/Almaty (UTC+5): the decommissioning (and, for m4, commissioning) instant. */
export const SWAP_MS = Date.parse('2025-08-14T19:00:00Z');
const FIRST_MS = Date.parse('2025-06-30T18:00:00Z');
/** Q3 2025 ends at local midnight 2025-10-01. */
export const Q3_END_MS = Date.parse('2025-09-30T19:00:00Z');

export interface PayloadReading {
  readonly ts: string;
  readonly kwh: number;
  readonly kw: number;
}

/** Every 15 min at 90 kW (22.5 kWh a step) over [fromMs, toMs], both ends included. */
export function every15Min(fromMs: number, toMs: number, startKwh: number): PayloadReading[] {
  const out: PayloadReading[] = [];
  for (let t = fromMs, i = 0; t <= toMs; t += STEP_MS, i++)
    out.push({ ts: new Date(t).toISOString().replace('.000Z', 'Z'), kwh: startKwh + i * 22.5, kw: 90 });
  return out;
}

/** m1 and m3: from 2025-06-30T18:00Z to the decommissioning instant; the last is {"ts":"2025-08-14T19:00:00Z","kwh":107290,...}. */
export const untilDecommissioning = (): PayloadReading[] => every15Min(FIRST_MS, SWAP_MS, 10_000);
/** m4: from its commissioning instant to an hour past the quarter. */
export const fromCommissioning = (): PayloadReading[] => every15Min(SWAP_MS, Q3_END_MS + 3_600_000, 500);
