/**
 * 2023 rates scale with the site's average electricity price of the quarter: the ledger service takes the
 * prices from the registry's prices.yaml (real InfluxDB, a registry with one 2023 meter).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TariffSet } from '../../src/fees/index.ts';
import { shippedTariffs } from '../unit/fees/helpers.ts';
import { createLedgerService } from '../../src/ledger/ledger-service.ts';
import { meterFacts } from '../../src/ledger/scope.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import type { Registry } from '../../src/registry/types.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { useInflux } from '../helpers/influx.ts';
import { MIN, at, generate, writeMeterData } from '../unit/ledger/store-fixtures.ts';

const influx = useInflux();
let target: InfluxTarget;
let tariffs: TariffSet;
const dirs: string[] = [];

function registryWith(prices: string): Registry {
  const dir = mkdtempSync(join(tmpdir(), 'kzm-reg-2023-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, 'taxpayers.yaml'),
    'taxpayers:\n  - { bin: "940140000385", name: Dala Hash LLP, licenceSubtype: I }\n',
  );
  writeFileSync(
    join(dir, 'sites.yaml'),
    'sites:\n  - { id: ekb-1, name: Ekibastuz DC-1, taxpayer: "940140000385", timeZone: Asia/Almaty }\n',
  );
  writeFileSync(
    join(dir, 'meters.yaml'),
    'meters:\n  - { id: ekb-1-m01, site: ekb-1, reportingIntervalS: 300, commissionedAt: 2023-01-01, sources: [{ from: 2023-01-01, source: grid }], maxLoadKw: 100 }\n',
  );
  if (prices) writeFileSync(join(dir, 'prices.yaml'), prices);
  return loadRegistry(dir);
}

beforeAll(async () => {
  target = influx.target();
  tariffs = await shippedTariffs();
  const facts = meterFacts(registryWith('').meterById.get('ekb-1-m01')!);
  await writeMeterData(target, [
    generate({
      facts,
      fromMs: at('2023-04-01T00:00+06:00') - 10 * MIN,
      toMs: at('2023-07-01T00:00+06:00') + 10 * MIN,
      stepMs: 5 * MIN,
      powerW: 90_000,
    }),
  ]);
});
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Report {
  lines: { rateTiynPerKwh: number; rule: string; basis: string }[];
}

async function ledger(registry: Registry): Promise<Report> {
  const r = await createLedgerService({ registry, tariffs, target }).ledger({ period: '2023-Q2', site: 'ekb-1' });
  if (!r.ok) throw new Error(r.reason);
  return r.value as unknown as Report;
}

describe('2023 price-scaled rates from the registry', () => {
  it('a price of 18.50 tenge/kWh gives the 18-20 band (7 tenge/kWh); without a price the top band, marked price-missing', async () => {
    const priced = await ledger(
      registryWith(
        'prices:\n  - { site: ekb-1, quarter: 2023-Q2, averagePriceTiynPerKwh: 1850, source: supplier statement }\n',
      ),
    );
    const metered = priced.lines.filter((l) => l.basis === 'metered');
    expect(metered.length).toBeGreaterThan(0);
    for (const l of metered) expect(l).toMatchObject({ rateTiynPerKwh: 700, rule: 'grid-price-scale:p18-20' });
    const missing = await ledger(registryWith(''));
    for (const l of missing.lines.filter((x) => x.basis === 'metered'))
      expect(l).toMatchObject({ rateTiynPerKwh: 2500, rule: 'grid-price-scale:price-missing' });
  });
});
