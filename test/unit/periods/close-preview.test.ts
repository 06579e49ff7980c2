/** What a close would freeze, what needs an acknowledgement, and the due-date marks of the period list. */
import { describe, expect, it } from 'vitest';
import { closePreview, metersWithoutReadings } from '../../../src/periods/close-preview.ts';
import { dueDatesText, dueMarks } from '../../../src/periods/due-marks.ts';
import { totalsCsv } from '../../../src/periods/export-csv.ts';
import { BIN_A, BIN_B, line, sampleLines, sampleSnapshot } from './fixtures.ts';

const Q_FROM = '2025-06-30T19:00:00Z';
const Q_TO = '2025-09-30T19:00:00Z';

describe('closePreview', () => {
  it('per taxpayer and source: metered, substituted, share and the declared amount (each line rounded once)', () => {
    const p = closePreview(['ekb-1-m01', 'kpg-2-m01', 'ast-3-m02'], sampleLines());
    // BIN_A grid: metered 32,400,123 + 164,520,457 Wh; substituted 1,000,000 Wh (a gap): 0.5 % of 197,920,580.
    expect(p.rows.map((r) => [r.taxpayerBin, r.energySource, r.meteredWh, r.substitutedWh, r.substitutedPct])).toEqual([
      [BIN_A, 'grid', 196_920_580, 1_000_000, 0.5],
      [BIN_A, 'own-offgrid', 120_000_333, 0, 0],
      [BIN_B, 'grid', 66_240_007, 0, 0],
    ]);
    // Declared, half-up to the tiyn per declared line: grid metered 196,920,580 Wh x 200 = 39,384,116 tiyn;
    // grid substituted 200,000 tiyn; own off-grid 120,000,333 x 100 milli-tiyn = 12,000,033.3 -> 12,000,033.
    expect(p.rows.map((r) => r.amountTiyn)).toEqual([39_384_116 + 200_000, 12_000_033, 13_248_001]);
    expect(p.totalAmountTiyn).toBe(39_584_116 + 12_000_033 + 13_248_001);
    expect(p.totalAmountTenge).toBe('648321.50');
    expect(p.metersWithoutReadings).toEqual([]);
    expect(p.needsAcknowledgement).toEqual([]);
  });

  it('flags a meter without any reading in the period and a taxpayer with 20 % or more substituted', () => {
    const lines = [
      ...sampleLines().filter((l) => l.taxpayerBin === BIN_A),
      line('ast-3-m01', 'ast-3', BIN_B, Q_FROM, Q_TO, 50_000_000, { basis: 'substituted', reason: 'no-readings' }),
      line('ast-3-m02', 'ast-3', BIN_B, Q_FROM, Q_TO, 150_000_000),
    ];
    const p = closePreview(['ekb-1-m01', 'kpg-2-m01', 'ast-3-m01', 'ast-3-m02'], lines);
    expect(p.metersWithoutReadings).toEqual(['ast-3-m01']);
    // BIN_B: 50,000 of 200,000 kWh substituted = 25 %.
    expect(p.needsAcknowledgement).toEqual([
      '1 meter sent no reading in the period and is charged at max load throughout: ast-3-m01',
      `taxpayer ${BIN_B}: 25% of the energy is substituted (50000.000 kWh at max load or penalty), at least 20%`,
    ]);
  });

  it.each([
    { name: 'no readings at all', reasons: ['no-readings'], silent: true },
    { name: 'its first reading after the period', reasons: ['before-first-reading'], silent: true },
    { name: 'its last reading before the period', reasons: ['after-last-reading'], silent: true },
    {
      name: 'one reading inside: before the first, then after the last',
      reasons: ['before-first-reading', 'after-last-reading'],
      silent: false,
    },
    { name: 'a fault all period (readings came, flagged faulty)', reasons: ['fault-status'], silent: false },
  ] as const)('meter without readings? $name', ({ reasons, silent }) => {
    const lines = reasons.map((reason, i) =>
      line(
        'm',
        's',
        BIN_A,
        i === 0 ? Q_FROM : '2025-08-15T00:00:00Z',
        i === reasons.length - 1 ? Q_TO : '2025-08-15T00:00:00Z',
        1_000,
        {
          basis: 'substituted',
          reason,
        },
      ),
    );
    expect(metersWithoutReadings(['m', 'idle'], lines)).toEqual(silent ? ['m'] : []);
  });
});

describe('due-date marks', () => {
  const due = {
    taxQuarter: '2025-Q3',
    declareBy: '2025-11-15',
    payBy: '2025-11-25',
    verified: true,
    tariffId: 'kz-2024',
  };
  it.each([
    { today: '2025-09-20', closed: false, ended: false, declaration: 'upcoming', payment: 'upcoming' },
    { today: '2025-10-20', closed: false, ended: true, declaration: 'due', payment: 'due' },
    { today: '2025-11-15', closed: false, ended: true, declaration: 'due', payment: 'due' },
    { today: '2025-11-16', closed: false, ended: true, declaration: 'overdue', payment: 'due' },
    { today: '2025-11-26', closed: false, ended: true, declaration: 'overdue', payment: 'overdue' },
    { today: '2025-11-10', closed: true, ended: true, declaration: 'prepared', payment: 'due' },
    { today: '2025-11-26', closed: true, ended: true, declaration: 'prepared', payment: 'passed' },
  ])('$today closed=$closed: declaration $declaration, payment $payment', ({ today, closed, ended, ...marks }) => {
    expect(dueMarks(due, { closed, ended, today })).toEqual(marks);
  });

  it('2022 has no declaration to be late with', () => {
    const d = { taxQuarter: '2022-Q1', declareBy: null, payBy: '2022-04-20', verified: false, tariffId: 'kz-2022' };
    expect(dueMarks(d, { closed: false, ended: true, today: '2022-05-01' })).toEqual({
      declaration: 'none',
      payment: 'overdue',
    });
    expect(dueDatesText(d)).toBe('no declaration required, pay by 2022-04-20 (rule unverified)');
    expect(dueDatesText({ declareBy: null, payBy: null, tariffId: null })).toBe(
      'declaration date unknown, payment date unknown',
    );
  });

  it('the totals CSV carries the due dates of each tax quarter', async () => {
    const csv = totalsCsv(await sampleSnapshot());
    expect(csv).toContain('due-dates,2025-Q3,"declare by 2025-11-15, pay by 2025-11-25",,2025-Q3,');
  });
});
