/**
 * The declaration report printed to A4 by Debian's chromium (driven by
 * playwright-core): one page per taxpayer, BIN and totals on the page.
 * Needs /usr/bin/chromium (apt-get install -y chromium); fails, never skips, without it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { formatTiyn, formatWhAsKwh } from '../../src/fees/index.ts';
import { reportHtml } from '../../src/periods/export-html.ts';
import { localizeDecimal } from '../../src/i18n/number-format.js';
import { BIN_A, BIN_B, sampleSnapshot } from '../unit/periods/fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
let browser: Browser | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium, or bash scripts/ensure-system-deps.sh chromium)`,
    );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
});

const pageCount = (pdf: Buffer): number => (pdf.toString('latin1').match(/\/Type\s*\/Page(?!s)/g) ?? []).length;

describe('declaration report in headless Chromium', () => {
  it('prints one A4 page per taxpayer showing the BIN, kWh and the amount due', async () => {
    const s = await sampleSnapshot();
    const page = await browser!.newPage();
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('data:') && r.url() !== 'about:blank') requests.push(r.url());
    });
    await page.setContent(reportHtml(s), { waitUntil: 'load' });
    const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pageCount(pdf)).toBe(2);
    expect(requests).toEqual([]); // self-contained
    const sections = await page.locator('section.taxpayer').allInnerTexts();
    expect(sections).toHaveLength(2);
    for (const [i, bin] of [BIN_A, BIN_B].entries()) {
      const text = sections[i]!;
      const t = s.totals.byTaxpayer.find((x) => x.key === bin)!;
      const due = s.declared.filter((d) => d.taxpayerBin === bin).reduce((a, d) => a + d.amountTiyn, 0);
      expect(text).toContain(bin);
      // issue 26: figures through the one number formatter (en: 1,234.567)
      expect(text).toContain(localizeDecimal(formatWhAsKwh(t.energyWh), 'en'));
      expect(text).toContain(localizeDecimal(formatTiyn(due), 'en'));
      expect(text).toContain('declare by 2025-11-15, pay by 2025-11-25');
      expect(text).toContain(s.digest);
    }
    // A4 = 595 x 842 points.
    const boxes = [...pdf.toString('latin1').matchAll(/\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/g)].map(
      (m) => [Math.round(Number(m[1])), Math.round(Number(m[2]))],
    );
    expect(boxes.length).toBeGreaterThan(0);
    for (const b of boxes) expect(b).toEqual([595, 842]);
    await page.close();
  });

  it('a single taxpayer prints to a single page', async () => {
    const s = await sampleSnapshot();
    const one = { ...s, taxpayers: s.taxpayers.slice(0, 1), lines: s.lines.filter((l) => l.taxpayerBin === BIN_A) };
    const page = await browser!.newPage();
    await page.setContent(reportHtml(one));
    expect(pageCount(await page.pdf({ format: 'A4' }))).toBe(1);
    await page.close();
  });
});
