/**
 * Issue 24 in the browser: the supplier's invoices of the previous quarter are imported over the API, then the
 * overview (that quarter) and the periods page show the reconciliation per site and month as the API computes
 * it, the month out of band marked; the close preview shows it and lists it among what must be acknowledged.
 * Real Chromium, the real service, a real influxd, readings backfilled by the simulator over MQTT.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatWhAsKwh } from '../../src/fees/index.ts';
import type { ReconciliationRow } from '../../src/periods/reconciliation.ts';
import {
  type DashboardStack,
  previousQuarter,
  recentBackfillScenario,
  startDashboardStack,
} from '../helpers/dashboard-stack.ts';

/** kWh as the English page shows them: digits grouped by commas (src/i18n/number-format.js). */
const groupKwh = (kwh: string) => kwh.replace(/\B(?=(\d{3})+(?!\d))(?=.*\.)/g, ',');

let stack: DashboardStack;
let quarter: ReturnType<typeof previousQuarter>;
let rows: ReconciliationRow[];

const reconciliation = async () =>
  (
    (await (await fetch(stack.url(`/api/reconciliation?period=${quarter.label}`))).json()) as {
      rows: ReconciliationRow[];
    }
  ).rows;

beforeAll(async () => {
  stack = await startDashboardStack();
  quarter = previousQuarter(Date.now());
  await stack.backfill(recentBackfillScenario(Date.now()));
  // The statement: 5 % above the ledger for every site and month (in band), 50 % above for the first (out).
  const before = await reconciliation();
  const csv = before
    .map((r, i) => {
      const ledgerWh = r.meteredWh + r.substitutedWh;
      return `${r.site},${r.month},${formatWhAsKwh(Math.round(ledgerWh * (i === 0 ? 1.5 : 1.05)))}`;
    })
    .join('\n');
  const res = await fetch(stack.url('/api/invoices'), {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: csv,
  });
  expect(res.status, await res.clone().text()).toBe(200);
  rows = await reconciliation();
}, 180_000);
afterAll(async () => {
  await stack?.cleanup();
});

async function expectTable(table: import('playwright-core').Locator) {
  await table.waitFor({ timeout: 30_000 });
  expect(await table.locator('tbody tr').count()).toBe(rows.length);
  for (const r of rows) {
    const tr = table.locator(`tr[data-site="${r.site}"][data-month="${r.month}"]`);
    expect(await tr.getAttribute('data-status')).toBe(r.status);
    const cells = await tr.locator('td').allInnerTexts();
    expect(cells.slice(0, 6)).toEqual([
      r.site,
      r.month,
      r.invoicedKwh,
      r.meteredKwh,
      r.substitutedKwh,
      r.differenceKwh,
    ]);
    expect(await tr.getAttribute('class')).toBe(r.withinBand === false ? 'out-of-band' : null);
  }
}

describe('reconciliation on the dashboard', () => {
  it('the API rows: one site-month out of band, the rest in', () => {
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.map((r) => r.status)).toEqual(['outside-band', ...rows.slice(1).map(() => 'within-band')]);
    expect(rows[0]!.differencePct).toBe(33.3); // 0.5 / 1.5 of the invoice
  });

  it('the overview of the quarter shows the rows, the out-of-band month marked', async () => {
    const g = await stack.page();
    await g.page.goto(stack.url(`/?period=${quarter.label}`));
    await expectTable(g.page.getByTestId('reconciliation').getByTestId('reconciliation-table'));
    await stack.screenshot(g.page, 'overview-reconciliation');
    expect(g.errors).toEqual([]);
    expect(g.external).toEqual([]);
  });

  it('the periods page shows them, and the close preview lists the month out of band to acknowledge', async () => {
    const g = await stack.page();
    await g.page.goto(stack.url('/periods'));
    await expectTable(g.page.getByTestId('reconciliation').getByTestId('reconciliation-table'));
    await g.page.locator('input[name="closedBy"]').fill('Aigerim (accountant)');
    await g.page.locator(`tr[data-period="${quarter.label}"][data-taxpayer=""] button[data-action="close"]`).click();
    const preview = g.page.getByTestId('close-preview');
    await preview.waitFor({ timeout: 30_000 });
    await expectTable(preview.getByTestId('reconciliation-table'));
    const first = rows[0]!;
    await preview
      .getByTestId('preview-flags')
      .locator('li', { hasText: `site ${first.site} ${first.month}: invoiced ${groupKwh(first.invoicedKwh!)} kWh` })
      .waitFor();
    await stack.screenshot(g.page, 'periods-reconciliation');
    expect(g.errors).toEqual([]);
  });
});
