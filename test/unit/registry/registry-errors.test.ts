import { afterAll, describe, expect, it } from 'vitest';
import { checkBin } from '../../../src/registry/bin.ts';
import { loadRegistry } from '../../../src/registry/load.ts';
import { DEVICES_DIR } from '../../helpers/service.ts';
import { brokenCopy, errorOf, removeCopies } from './helpers.ts';

afterAll(removeCopies);

describe('registry', () => {
  it('loads the example data centre: 4 sites, 14 meters, one on own off-grid power, max load derived from rigs', () => {
    const r = loadRegistry(DEVICES_DIR);
    expect(r.sites.length).toBeGreaterThanOrEqual(2);
    expect(r.meters.length).toBeGreaterThanOrEqual(10);
    expect(r.meters.some((m) => m.sources.some((s) => s.source !== 'grid'))).toBe(true);
    const m01 = r.meterById.get('ekb-1-m01')!;
    expect(m01.maxLoadBasis).toBe('rigs');
    expect(m01.maxLoad[0]!.maxLoadW).toBe(m01.rigs.reduce((s, x) => s + x.ratedPowerW, 0));
    // 2024-01-01 local midnight in Asia/Almaty (then UTC+6)
    expect(m01.commissionedMs).toBe(Date.UTC(2023, 11, 31, 18));
    expect(r.meterById.get('ekb-1-m07')!.maxLoadBasis).toBe('declared');
  });

  it.each([
    {
      name: 'a broken BIN',
      file: 'taxpayers.yaml',
      edit: (t: string) => t.replace('940140000385', '940140000386'),
      expect: [/taxpayers\.yaml/, /taxpayers\[0\]/, /field "bin"/, /940140000386/, /check digit/],
    },
    {
      name: 'an unknown energy source',
      file: 'meters.yaml',
      edit: (t: string) => t.replace('source: own-offgrid', 'source: diesel'),
      expect: [/meters\.yaml/, /meters\[7\] \(id "kpg-2-m01"\)/, /field "sources\[0\]\.source"/, /grid/],
    },
    {
      name: 'a meter pointing to a missing site',
      file: 'meters.yaml',
      edit: (t: string) => t.replace('site: ast-3', 'site: ast-9'),
      expect: [/meters\.yaml/, /ast-3-m01/, /field "site"/, /no site with id "ast-9"/],
    },
    {
      name: 'a bad time zone',
      file: 'sites.yaml',
      edit: (t: string) => t.replace('timeZone: Asia/Almaty', 'timeZone: Asia/Nowhere'),
      expect: [/sites\.yaml/, /sites\[0\] \(id "ekb-1"\)/, /field "timeZone"/, /IANA/],
    },
    {
      name: 'an unknown key',
      file: 'rigs.yaml',
      edit: (t: string) => t.replace('ratedPowerW: 3070', 'ratedPowerW: 3070\n    colour: red'),
      expect: [/rigs\.yaml/, /rigs\[0\]/, /colour/],
    },
  ])('names file, entry and field for $name', ({ file, edit, expect: patterns }) => {
    const msg = errorOf(brokenCopy(file, edit));
    for (const p of patterns) expect(msg).toMatch(p);
  });

  it('reads site electricity prices per quarter from the optional prices.yaml; names the entry and field of a bad one', () => {
    const good =
      'prices:\n  - site: ekb-1\n    quarter: 2023-Q2\n    averagePriceTiynPerKwh: 1850\n    source: supplier statement 2023-07-05\n';
    expect(loadRegistry(DEVICES_DIR).prices).toEqual([]);
    expect(loadRegistry(brokenCopy('prices.yaml', () => good)).prices).toEqual([
      { siteId: 'ekb-1', quarter: '2023-Q2', averagePriceTiynPerKwh: 1850 },
    ]);
    const unknownSite = errorOf(brokenCopy('prices.yaml', () => good.replace('ekb-1', 'ekb-9')));
    expect(unknownSite).toMatch(
      /prices\.yaml: entry prices\[0\] \(site "ekb-9"\) field "site": no site with id "ekb-9"/,
    );
    const twice = errorOf(brokenCopy('prices.yaml', () => good + good.slice('prices:\n'.length)));
    expect(twice).toMatch(/prices\.yaml: the price of site and quarter "ekb-1 2023-Q2" appears twice/);
    const badQuarter = errorOf(
      brokenCopy('prices.yaml', () => good.replace('2023-Q2', '2023-06').replace('1850', '18.5')),
    );
    expect(badQuarter).toMatch(/prices\[0\] \(site "ekb-1"\) field "quarter": a quarter such as 2023-Q2/);
    expect(badQuarter).toMatch(/field "averagePriceTiynPerKwh"/);
  });

  it.each([
    ['940140000385', true],
    ['990140004654', true],
    ['940140000384', false],
    ['12345', false],
    ['94014000038a', false],
  ])('BIN %s valid=%s', (bin, ok) => {
    expect(checkBin(bin).ok).toBe(ok);
  });
});
