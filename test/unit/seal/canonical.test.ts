import { describe, expect, it } from 'vitest';
import { meterBlock, sealDigest, sealHeaderText, sealMeter } from '../../../src/seal/canonical.ts';
import { changeCounts, locateDifference } from '../../../src/seal/locate.ts';

/**
 * The vector of docs/fees.md "Sealed readings", computed by hand with coreutils:
 *   printf 'meter m1\nR 1000 5 0\nR 2000 7 1\nS 1500 offline\n' | sha256sum
 *   printf 'meter m2\n' | sha256sum
 *   printf 'kzmeter-seal/1\nsite s1\n...m m2 0 0 bdac...\n' | sha256sum
 */
const M1 = '6a3130239dac6c4a9571481f768d62585c3b26c1a2e3840ab38d52f11faef62f';
const M2 = 'bdac179499848742af930f4f5e4f0e10c8c2930971c5754239e78f68b4152589';
const SEAL = '1ca6bcc3e891505f2c12dcfe77d573ec28219eca0d31116f28a78e5f41dac30a';
const HEADER = {
  site: 's1',
  day: '2025-07-01',
  zone: 'Asia/Almaty',
  fromMs: 1751310000000,
  toMs: 1751396400000,
  version: 1,
  prev: null,
  amends: null,
  sealedAtMs: 1751600000000,
};

describe('seal canonical form (docs/fees.md vector)', () => {
  it('a meter block: readings by time, then statuses; the digest is SHA-256 of its bytes', () => {
    // Given out of order: the form sorts them.
    const readings = [
      [2000, 7, 1],
      [1000, 5, 0],
    ] as const;
    expect(meterBlock('m1', readings, [[1500, 'offline']])).toBe('meter m1\nR 1000 5 0\nR 2000 7 1\nS 1500 offline\n');
    expect(sealMeter('m1', readings, [[1500, 'offline']]).digest).toBe(M1);
    expect(sealMeter('m2', [], []).digest).toBe(M2);
  });

  it('the seal digest over the header and the meters sorted by id', () => {
    const meters = [
      sealMeter('m2', [], []),
      sealMeter(
        'm1',
        [
          [1000, 5, 0],
          [2000, 7, 1],
        ],
        [[1500, 'offline']],
      ),
    ];
    expect(sealHeaderText(HEADER, meters)).toMatch(
      /^kzmeter-seal\/1\nsite s1\n.*\nm m1 2 1 6a31.*\nm m2 0 0 bdac.*\n$/s,
    );
    expect(sealDigest(HEADER, meters)).toBe(SEAL);
    // Chained: another prev is another digest.
    expect(sealDigest({ ...HEADER, prev: SEAL }, meters)).not.toBe(SEAL);
  });

  it('a missing field is "-", so a half-written point still has one form', () => {
    expect(meterBlock('m1', [[1000, null, 0]], [])).toBe('meter m1\nR 1000 - 0\n');
  });
});

describe('locating the reading that differs', () => {
  const day = Array.from({ length: 60 }, (_, i) => [1_751_310_000_000 + i * 60_000, 1_000_000 + i * 50, 0] as const);
  const was = sealMeter('m1', day, [[1_751_310_000_000, 'online']]);
  const at = (i: number) => day[i]![0];

  it.each([
    {
      name: 'changed register',
      now: day.map((r, i) => (i === 17 ? ([r[0], r[1] + 9, 0] as const) : r)),
      kind: 'changed',
      tsMs: at(17),
    },
    {
      name: 'fault flag set',
      now: day.map((r, i) => (i === 3 ? ([r[0], r[1], 1] as const) : r)),
      kind: 'changed',
      tsMs: at(3),
    },
    { name: 'deleted', now: day.filter((_, i) => i !== 40), kind: 'deleted', tsMs: at(40) },
    { name: 'added', now: [...day, [at(5) + 1, 1_000_260, 0] as const], kind: 'added', tsMs: at(5) + 1 },
  ])('$name -> $kind at its time', ({ now, kind, tsMs }) => {
    const d = locateDifference(was, sealMeter('m1', now, [[1_751_310_000_000, 'online']]));
    expect(d).toEqual({ kind, record: 'reading', tsMs });
  });

  it('a status deleted is named; the same records give no difference', () => {
    expect(locateDifference(was, sealMeter('m1', day, []))).toEqual({ kind: 'deleted', record: 'status', tsMs: at(0) });
    expect(locateDifference(was, sealMeter('m1', day, [[1_751_310_000_000, 'online']]))).toBeUndefined();
  });

  it('amendment counts: one reading added to one meter', () => {
    const now = sealMeter('m1', [...day, [at(59) + 60_000, 1_003_000, 0]], [[1_751_310_000_000, 'online']]);
    expect(changeCounts([was], [now])).toEqual({
      added: 1,
      changed: 0,
      removed: 0,
      first: { meter: 'm1', tsMs: at(59) + 60_000, kind: 'added' },
    });
  });
});
