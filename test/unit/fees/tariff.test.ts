import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTariffSchedule } from '../../../src/fees/tariff-schema.ts';
import { loadTariffs } from '../../../src/fees/tariff-load.ts';
import { resolveRate, scheduleAt } from '../../../src/fees/tariff.ts';
import { TARIFF_DIR, at, shippedTariffs } from './helpers.ts';

const tariffs = await shippedTariffs();
const kz2024Text = await readFile(join(TARIFF_DIR, 'kz-2024.yaml'), 'utf8');

describe('shipped schedules', () => {
  it.each([
    { name: '2022 flat 1 tenge', t: '2022-06-01T00:00+06:00', id: 'kz-2022' },
    { name: '2023-12-31 23:59 local is still 2023', t: '2023-12-31T23:59+06:00', id: 'kz-2023' },
    { name: '2024-01-01 00:00 local starts 2024', t: '2024-01-01T00:00+06:00', id: 'kz-2024' },
    { name: '2025-12-31 is 2024 schedule', t: '2025-12-31T23:00+05:00', id: 'kz-2024' },
    {
      name: '2026-01-01 starts 2026 (later start wins over open-ended 2024)',
      t: '2026-01-01T00:00+05:00',
      id: 'kz-2026',
    },
  ])('$name', ({ t, id }) => {
    expect(scheduleAt(tariffs, at(t), 'Asia/Almaty')?.id).toBe(id);
  });

  const s2023 = scheduleAt(tariffs, at('2023-06-01T00:00+06:00'), 'Asia/Almaty')!;
  const s2024 = scheduleAt(tariffs, at('2024-06-01T00:00+05:00'), 'Asia/Almaty')!;
  it.each([
    {
      name: '2023 grid, price 24 tenge -> 1 tenge',
      s: s2023,
      src: 'grid' as const,
      basis: 'metered' as const,
      price: 2400,
      rate: 100,
      rule: 'grid-price-scale:p24-plus',
    },
    {
      name: '2023 grid, price 23.99 -> next band',
      s: s2023,
      src: 'grid' as const,
      basis: 'metered' as const,
      price: 2399,
      rate: 300,
      rule: 'grid-price-scale:p22-24',
    },
    {
      name: '2023 grid, price 5 tenge -> 25 tenge',
      s: s2023,
      src: 'grid' as const,
      basis: 'metered' as const,
      price: 500,
      rate: 2500,
      rule: 'grid-price-scale:p-under-12',
    },
    {
      name: '2023 grid, no price -> highest band',
      s: s2023,
      src: 'grid' as const,
      basis: 'metered' as const,
      price: undefined,
      rate: 2500,
      rule: 'grid-price-scale:price-missing',
    },
    {
      name: '2023 own power 10 tenge',
      s: s2023,
      src: 'own-offgrid' as const,
      basis: 'metered' as const,
      price: undefined,
      rate: 1000,
      rule: 'own-generation',
    },
    {
      name: '2023 renewable 1 tenge',
      s: s2023,
      src: 'renewable' as const,
      basis: 'metered' as const,
      price: undefined,
      rate: 100,
      rule: 'renewable',
    },
    {
      name: '2023 unmetered own power: highest applicable (25) wins',
      s: s2023,
      src: 'own-offgrid' as const,
      basis: 'substituted' as const,
      price: undefined,
      rate: 2500,
      rule: 'no-or-faulty-meter',
    },
    {
      name: '2024 grid 2 tenge',
      s: s2024,
      src: 'grid' as const,
      basis: 'metered' as const,
      price: undefined,
      rate: 200,
      rule: 'grid',
    },
    {
      name: '2024 own off-grid 1 tenge',
      s: s2024,
      src: 'own-offgrid' as const,
      basis: 'metered' as const,
      price: undefined,
      rate: 100,
      rule: 'renewable-or-own-offgrid',
    },
    {
      name: '2024 substituted grid keeps 2 tenge (volume, not rate)',
      s: s2024,
      src: 'grid' as const,
      basis: 'substituted' as const,
      price: undefined,
      rate: 200,
      rule: 'grid',
    },
  ])('$name', ({ s, src, basis, price, rate, rule }) => {
    expect(resolveRate(s, src, basis, price)).toEqual({ rateTiynPerKwh: rate, rule });
  });
});

describe('tariff file validation', () => {
  it.each([
    {
      name: 'a rate that is not an integer names file, rule and field',
      edit: (t: string) => t.replace('rateTiynPerKwh: 200', 'rateTiynPerKwh: 2.5'),
      message: /broken\.yaml: rules\[0\] \(grid\)\.rateTiynPerKwh: .*int/i,
    },
    {
      name: 'a reference to a missing rule',
      edit: (t: string) => t.replace('grid: [grid]', 'grid: [grd]'),
      message: /broken\.yaml: sources\.grid\[0\]: no rule with id 'grd'/,
    },
    {
      name: 'an unknown key is refused',
      edit: (t: string) => t.replace('timeZone: Asia/Almaty', 'timeZone: Asia/Almaty\nrate: 2'),
      message: /broken\.yaml: \(file\): .*rate/,
    },
    {
      name: 'an unknown time zone',
      edit: (t: string) => t.replace('timeZone: Asia/Almaty', 'timeZone: Asia/Nowhere'),
      message: /broken\.yaml: timeZone: an IANA time zone/,
    },
    {
      name: 'a date that does not exist',
      edit: (t: string) => t.replace("validFrom: '2024-01-01'", "validFrom: '2024-02-30'"),
      message: /broken\.yaml: validFrom: a calendar date/,
    },
    {
      name: 'a rule with both a rate and bands',
      edit: (t: string) =>
        t.replace(
          '    rateTiynPerKwh: 200',
          '    rateTiynPerKwh: 200\n    priceBands: [{ id: b, minPriceTiynPerKwh: 0, rateTiynPerKwh: 1 }]',
        ),
      message: /broken\.yaml: rules\[0\] \(grid\)\.rateTiynPerKwh: give exactly one/,
    },
    {
      name: 'not YAML at all',
      edit: () => 'id: [unclosed',
      message: /broken\.yaml: not valid YAML/,
    },
  ])('$name', ({ edit, message }) => {
    const r = parseTariffSchedule(edit(kz2024Text), 'tariffs/broken.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(message);
  });

  it('the shipped 2024 file parses', () => {
    expect(parseTariffSchedule(kz2024Text, 'kz-2024.yaml').ok).toBe(true);
  });
});

describe('loading with operator overrides', () => {
  async function dirs(): Promise<{ base: string; over: string }> {
    const root = await mkdtemp(join(tmpdir(), 'tariffs-'));
    const base = join(root, 'base');
    const over = join(root, 'over');
    await mkdir(base);
    await mkdir(over);
    await writeFile(join(base, 'kz-2024.yaml'), kz2024Text);
    return { base, over };
  }

  it('a higher version in the override directory wins', async () => {
    const { base, over } = await dirs();
    await writeFile(
      join(over, 'kz-2024-v2.yaml'),
      kz2024Text.replace('version: 1', 'version: 2').replace('rateTiynPerKwh: 200', 'rateTiynPerKwh: 300'),
    );
    const r = await loadTariffs(base, over);
    if (!r.ok) throw new Error(r.reason);
    const s = scheduleAt(r.value, at('2024-06-01T00:00+05:00'), 'Asia/Almaty')!;
    expect([s.version, resolveRate(s, 'grid', 'metered', undefined).rateTiynPerKwh]).toEqual([2, 300]);
  });

  it('the same id and version in the override replaces the shipped one; a lower version does not', async () => {
    const { base, over } = await dirs();
    await writeFile(join(over, 'same.yaml'), kz2024Text.replace('rateTiynPerKwh: 200', 'rateTiynPerKwh: 250'));
    const r = await loadTariffs(base, over);
    if (!r.ok) throw new Error(r.reason);
    expect(resolveRate(r.value.schedules[0]!, 'grid', 'metered', undefined).rateTiynPerKwh).toBe(250);

    const { base: b2, over: o2 } = await dirs();
    await writeFile(join(b2, 'kz-2024.yaml'), kz2024Text.replace('version: 1', 'version: 3'));
    await writeFile(join(o2, 'old.yaml'), kz2024Text.replace('rateTiynPerKwh: 200', 'rateTiynPerKwh: 999'));
    const r2 = await loadTariffs(b2, o2);
    if (!r2.ok) throw new Error(r2.reason);
    expect(resolveRate(r2.value.schedules[0]!, 'grid', 'metered', undefined).rateTiynPerKwh).toBe(200);
  });

  it('reports every broken file by name, and duplicates within one directory', async () => {
    const { base, over } = await dirs();
    await writeFile(join(base, 'dup.yaml'), kz2024Text);
    await writeFile(join(over, 'bad.yaml'), kz2024Text.replace('rounding: half-up-tiyn', 'rounding: bankers'));
    const r = await loadTariffs(base, over);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/bad\.yaml: rounding: /);
    const r2 = await loadTariffs(base);
    expect(r2.ok).toBe(false);
    if (!r2.ok) expect(r2.reason).toMatch(/kz-2024\.yaml: id 'kz-2024' version 1 is also defined in .*dup\.yaml/);
  });
});

describe('a tariff directory that is not there (issue 26: it said "are invalid ... Fix the file")', () => {
  it('is told apart from a broken file by its code', async () => {
    const { loadTariffs } = await import('../../../src/fees/tariff-load.ts');
    const r = await loadTariffs('/nonexistent/kzm-tariffs');
    expect(r).toMatchObject({
      ok: false,
      code: 'tariffs-missing',
      reason: '/nonexistent/kzm-tariffs: no such directory',
    });
  });
});
