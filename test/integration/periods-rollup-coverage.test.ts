/**
 * A period whose readings the rollups do not cover (stored around the service, never rolled up) is
 * refused at close with the command that fixes it; after `kzmeter rollup` (rebuildRollups) it closes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPeriodService } from '../../src/periods/period-service.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import { uncoveredReadings } from '../../src/store/query/coverage.ts';
import { rebuildRollups } from '../../src/rollup/rebuild.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { useInflux } from '../helpers/influx.ts';
import { DEVICES_DIR } from '../helpers/service.ts';
import { postLines } from '../unit/ledger/store-fixtures.ts';
import { at, steadyReadings, tariffs } from '../unit/periods/fixtures.ts';

const PERIOD = '2025-07-01..2025-07-02';
const FROM = at('2025-07-01T00:00:00+05:00');
const TO = at('2025-07-03T00:00:00+05:00');
const influx = useInflux();
let target: InfluxTarget;
const dataDir = mkdtempSync(join(tmpdir(), 'kzm-periods-cover-'));
const registry = loadRegistry(DEVICES_DIR);
const meter = registry.meterById.get('ekb-1-m01')!;

beforeAll(async () => {
  target = influx.target();
  // Stored directly (an import): readings, no rollups.
  await postLines(
    target,
    steadyReadings(meter.id, meter.siteId, FROM - 60_000, TO + 60_000, 60_000, 50_000, (t) => t + 1000),
  );
});
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('rollup coverage at period close', () => {
  it('refuses to close on readings without rollups, naming the fix; closes once they are recomputed', async () => {
    const periods = createPeriodService({
      registry,
      tariffs: await tariffs(),
      target,
      dataDir,
      now: () => at('2025-07-10T00:00:00Z'),
    });
    expect(await uncoveredReadings(target, [meter.id], FROM, TO)).toEqual([
      { meterId: meter.id, tsMs: FROM },
      { meterId: meter.id, tsMs: TO - 60_000 },
    ]);
    await expect(
      periods.close({ period: PERIOD, closedBy: 'accountant', acknowledgement: 'test data' }),
    ).rejects.toThrow(
      /rollups do not cover readings stored for this period \(ekb-1-m01 at 2025-06-30T19:00:00.000Z.*kzmeter rollup --from 2025-06-30 --to 2025-07-03/,
    );
    await rebuildRollups({
      target,
      sink: { write: (l) => postLines(target, l) },
      meterIds: [meter.id],
      fromMs: FROM - 60_000,
      toMs: TO + 120_000,
    });
    expect(await uncoveredReadings(target, [meter.id], FROM, TO)).toEqual([]);
    const closed = await periods.close({ period: PERIOD, closedBy: 'accountant', acknowledgement: 'test data' });
    expect(closed.ok, closed.ok ? '' : closed.reason).toBe(true);
    if (!closed.ok) return;
    const m01 = closed.value.snapshot.lines.filter((l) => l.meterId === meter.id);
    expect(m01.every((l) => l.basis === 'metered')).toBe(true);
  });
});
