/**
 * Issue 17, part 3: hosted miners are their own taxpayers. A meter (and its rigs) may belong to a taxpayer
 * other than the site's operator; a meter whose rigs belong to several taxpayers is refused.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadRegistry } from '../../../src/registry/load.ts';
import { DEVICES_DIR } from '../../helpers/service.ts';
import { brokenCopy, errorOf, removeCopies } from './helpers.ts';

const STEPPE = '990140004654';
const IRTYSH = '210340012344';
const DALA = '940140000385';
afterAll(removeCopies);

describe('hosted miners in the registry', () => {
  it("the example's hosting site pvl-4: operated by Dala Hash, its meters belong to two hosted miners", () => {
    const r = loadRegistry(DEVICES_DIR);
    expect(r.siteById.get('pvl-4')).toMatchObject({ role: 'hosting', taxpayer: DALA });
    // Named on the meter, and named by every rig behind the meter.
    expect(r.meterById.get('pvl-4-m01')!.taxpayerBin).toBe(STEPPE);
    expect(r.meterById.get('pvl-4-m02')!.taxpayerBin).toBe(IRTYSH);
    // Meters of other sites keep the site's taxpayer.
    expect(r.meterById.get('ekb-1-m01')!.taxpayerBin).toBe(DALA);
    expect(r.meterById.get('ast-3-m01')!.taxpayerBin).toBe(STEPPE);
  });

  it('refuses a meter whose rigs belong to several taxpayers, naming them and what to do', () => {
    const dir = brokenCopy('rigs.yaml', (t) =>
      t
        .replace(/(serial: S19J-4100001\n(?: {4}.*\n)*? {4}meter: pvl-4-m01\n)/, `$1    taxpayer: "${STEPPE}"\n`)
        .replace(/(serial: S19J-4100002\n(?: {4}.*\n)*? {4}meter: pvl-4-m01\n)/, `$1    taxpayer: "${IRTYSH}"\n`),
    );
    const msg = errorOf(dir);
    expect(msg).toContain('meters[12] (id "pvl-4-m01")');
    expect(msg).toContain('belong to 2 taxpayers');
    expect(msg).toContain(`"${STEPPE}": 1 rig (S19J-4100001)`);
    expect(msg).toContain(`"${IRTYSH}": 1 rig (S19J-4100002)`);
    expect(msg).toContain('split the meter (one meter per taxpayer) or move the rigs');
  });

  it.each([
    {
      name: 'rigs of another taxpayer than the meter names',
      file: 'meters.yaml',
      edit: (t: string) =>
        t.replace(
          '  - id: pvl-4-m02\n    site: pvl-4\n',
          `  - id: pvl-4-m02\n    site: pvl-4\n    taxpayer: "${STEPPE}"\n`,
        ),
      expect: [
        /meters\[13\] \(id "pvl-4-m02"\) field "taxpayer"/,
        new RegExp(`belongs to "${STEPPE}" but rigs`),
        /6 rigs/,
        /split the meter/,
      ],
    },
    {
      name: 'a meter naming an unknown taxpayer',
      file: 'meters.yaml',
      edit: (t: string) => t.replace(`taxpayer: "${STEPPE}"`, 'taxpayer: "190540011119"'),
      expect: [/pvl-4-m01/, /field "taxpayer"/, /no taxpayer with bin "190540011119"/],
    },
    {
      name: 'a rig naming an unknown taxpayer',
      file: 'rigs.yaml',
      edit: (t: string) => t.replace(`taxpayer: "${IRTYSH}"`, 'taxpayer: "190540011119"'),
      expect: [
        /rigs\.yaml: entry rigs\[\d+\] \(serial "S21-4200001"\) field "taxpayer"/,
        /no taxpayer with bin "190540011119"/,
      ],
    },
    {
      name: 'a hosting site meter naming no taxpayer',
      file: 'meters.yaml',
      edit: (t: string) => t.replace(`    taxpayer: "${STEPPE}"\n`, ''),
      expect: [/pvl-4-m01/, /hosting site \(role: hosting\)/, /name the miner whose rigs this meter measures/],
    },
  ])('refuses $name', ({ file, edit, expect: patterns }) => {
    const msg = errorOf(brokenCopy(file, edit));
    for (const p of patterns) expect(msg).toMatch(p);
  });

  it('a hosting slot changing hands: the old meter id ends and a new one starts for the new miner at the same instant', () => {
    const dir = brokenCopy('meters.yaml', (t) =>
      t.replace(
        `  - id: pvl-4-m01\n    site: pvl-4\n    taxpayer: "${STEPPE}"\n`,
        `  - id: pvl-4-m03\n    site: pvl-4\n    taxpayer: "${IRTYSH}"\n    maxLoadKw: 20\n    commissionedAt: 2025-09-01\n    sources: [{ from: 2025-09-01, source: grid }]\n` +
          `  - id: pvl-4-m01\n    site: pvl-4\n    taxpayer: "${STEPPE}"\n    decommissionedAt: 2025-09-01\n`,
      ),
    );
    const r = loadRegistry(dir);
    const [old, fresh] = [r.meterById.get('pvl-4-m01')!, r.meterById.get('pvl-4-m03')!];
    expect([old.taxpayerBin, fresh.taxpayerBin]).toEqual([STEPPE, IRTYSH]);
    expect(old.decommissionedMs).toBe(fresh.commissionedMs);
  });

  it('a miner site may host one taxpayer on its own meter (no rigs, declared max load)', () => {
    const dir = brokenCopy('meters.yaml', (t) =>
      t.replace(
        '  - id: ekb-1-m07\n    site: ekb-1\n',
        `  - id: ekb-1-m07\n    site: ekb-1\n    taxpayer: "${IRTYSH}"\n`,
      ),
    );
    expect(loadRegistry(dir).meterById.get('ekb-1-m07')!.taxpayerBin).toBe(IRTYSH);
  });
});
