/**
 * Issue 26: CSV cells a spreadsheet would run as a formula (=, +, -, @, tab, CR first) are written as text
 * (a leading apostrophe); numbers, negative ones too, stay numbers; headers translate, data does not; a BOM
 * when asked for.
 */
import { describe, expect, it } from 'vitest';
import { csvCell, headerRow, UTF8_BOM } from '../../../src/ledger/csv.ts';
import { CATALOGUES } from '../../../src/i18n/catalogues.js';

describe('CSV cells (issue 26)', () => {
  it('formula-like text is guarded: =, +, -, @, tab, CR', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('+7 701 000 0000')).toBe("'+7 701 000 0000");
    expect(csvCell('-2+3+cmd|calc')).toBe("'-2+3+cmd|calc");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell('\rx')).toBe(`"'\rx"`);
  });

  it('numbers stay numbers: a negative kWh or fee difference is data, not a formula', () => {
    expect(csvCell('-12.345')).toBe('-12.345');
    expect(csvCell('-0.00400')).toBe('-0.00400');
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell('1000.000')).toBe('1000.000');
    expect(csvCell('ekb-1-m01')).toBe('ekb-1-m01');
    expect(csvCell('a,b')).toBe('"a,b"');
  });

  it('headers in the language, machine names without one; the BOM is U+FEFF', () => {
    expect(headerRow(['period', 'kwh'])).toBe('period,kwh\n');
    expect(headerRow(['period', 'kwh'], CATALOGUES.ru.csv.headers)).toBe('Период,кВт·ч\n');
    expect(headerRow(['period', 'kwh'], CATALOGUES.kk.csv.headers)).toBe('Кезең,кВт·сағ\n');
    expect(headerRow(['unknown_col'], CATALOGUES.ru.csv.headers)).toBe('unknown_col\n');
    expect(UTF8_BOM.codePointAt(0)).toBe(0xfeff);
  });
});
