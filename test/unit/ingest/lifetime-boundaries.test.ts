/**
 * Issue 17, part 1: a meter's removal reading (at exactly its decommissioning instant) is accepted like the
 * reading at its commissioning instant, so the ledger ends cleanly at decommissioning (no `no-reading-yet`
 * tail) and a meter replacement bills every hour once. Readings go through the real decoder, then the engine.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { computeMeterLedger, periodBounds, parsePeriod, totalsOf, type LedgerLine } from '../../../src/fees/index.ts';
import { decodeMessage } from '../../../src/ingest/decode.ts';
import { meterFacts } from '../../../src/ledger/scope.ts';
import type { Registry } from '../../../src/registry/types.ts';
import { registryOf, removeRegistryDirs } from '../../helpers/registry-dir.ts';
import {
  LIFETIME_REGISTRY,
  SWAP_MS,
  fromCommissioning,
  untilDecommissioning,
  type PayloadReading,
} from './lifetime-fixtures.ts';
import { shippedTariffs } from '../fees/helpers.ts';

const registry: Registry = registryOf(LIFETIME_REGISTRY);
const tariffs = await shippedTariffs();
afterAll(removeRegistryDirs);
const ctx = { registry, nowMs: Date.parse('2026-01-01T00:00Z'), maxPayloadBytes: 1 << 20, maxFutureSkewMs: 300_000 };
const decode = (meterId: string, readings: readonly PayloadReading[]) =>
  decodeMessage(`meters/${meterId}/reading`, Buffer.from(JSON.stringify(readings)), ctx);

function q3Lines(meterId: string, readings: readonly PayloadReading[]): LedgerLine[] {
  const d = decode(meterId, readings);
  const period = parsePeriod('2025-Q3');
  if (!period.ok) throw new Error(period.reason);
  const facts = meterFacts(registry.meterById.get(meterId)!);
  const r = computeMeterLedger({
    facts,
    readings: d.readings.map((x) => ({ tsMs: x.tsMs, registerWh: x.registerWh, status: x.status })),
    statusEvents: [],
    tariffs,
    ...periodBounds(period.value, facts.timeZone),
  });
  if (!r.ok) throw new Error(r.reason);
  return [...r.value.lines];
}

describe('the decommissioning boundary', () => {
  it('accepts the reading at exactly the decommissioning instant, refuses one a millisecond later', () => {
    const at = decode('m1', [{ ts: '2025-08-14T19:00:00Z', kwh: 107290.0, kw: 90 }]);
    expect(at.rejections).toEqual([]);
    expect(at.readings.map((r) => [r.tsMs, r.registerWh])).toEqual([[SWAP_MS, 107_290_000]]);
    const after = decode('m1', [{ ts: '2025-08-14T19:00:00.001Z', kwh: 107290.0, kw: 90 }]);
    expect(after.readings).toEqual([]);
    expect(after.rejections.map((r) => [r.reason, r.detail])).toEqual([
      [
        'after-decommissioning',
        '[0] ts 2025-08-14T19:00:00.001Z is after the meter was decommissioned (2025-08-14T19:00:00.000Z)',
      ],
    ]);
  });

  it('accepts the reading at exactly the commissioning instant, refuses one a millisecond earlier', () => {
    expect(decode('m4', [{ ts: '2025-08-14T19:00:00Z', kwh: 500, kw: 90 }]).rejections).toEqual([]);
    expect(decode('m4', [{ ts: '2025-08-14T18:59:59.999Z', kwh: 500, kw: 90 }]).rejections[0]?.reason).toBe(
      'before-commissioning',
    );
  });

  it("the issue's example: 2025-Q3 of m1 is 97,200,000 Wh / 19,440,000,000 milli-tiyn, all metered, ending at decommissioning", () => {
    const readings = untilDecommissioning();
    expect(readings.at(-1)).toEqual({ ts: '2025-08-14T19:00:00Z', kwh: 107290, kw: 90 });
    const lines = q3Lines('m1', readings);
    const totals = totalsOf(lines);
    expect({ energyWh: totals.energyWh, feeMilliTiyn: totals.feeMilliTiyn }).toEqual({
      energyWh: 97_200_000,
      feeMilliTiyn: 19_440_000_000,
    });
    expect(lines.filter((l) => l.basis !== 'metered')).toEqual([]);
    expect(lines.at(-1)!.toMs).toBe(SWAP_MS);
    expect(decode('m1', readings).rejections).toEqual([]);
  });

  it('a meter replacement at local midnight: the old meter ends and the new one starts at the same instant, 2,208 h x 90 kW metered once', () => {
    const old = q3Lines('m3', untilDecommissioning());
    const fresh = q3Lines('m4', fromCommissioning());
    expect([...old, ...fresh].filter((l) => l.basis !== 'metered')).toEqual([]);
    expect(old.at(-1)!.toMs).toBe(SWAP_MS);
    expect(fresh[0]!.fromMs).toBe(SWAP_MS);
    // 2025-Q3 is 92 days = 2,208 h; at 90 kW that is 198,720 kWh at 2 tenge.
    const totals = totalsOf([...old, ...fresh]);
    expect([totals.energyWh, totals.feeMilliTiyn]).toEqual([198_720_000, 39_744_000_000]);
  });
});
