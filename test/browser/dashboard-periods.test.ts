/**
 * An accountant closes the previous quarter from the Periods page (its last two days backfilled by the
 * simulator, the rest substituted) and downloads its CSV: the file is the period API's export of the
 * version just closed, and its lines add up to the snapshot's total.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { PeriodSnapshot } from '../../src/periods/snapshot-types.ts';
import {
  type DashboardStack,
  previousQuarter,
  recentBackfillScenario,
  startDashboardStack,
} from '../helpers/dashboard-stack.ts';

let stack: DashboardStack;
let quarter: ReturnType<typeof previousQuarter>;

beforeAll(async () => {
  stack = await startDashboardStack();
  quarter = previousQuarter(Date.now());
  await stack.backfill(recentBackfillScenario(Date.now()));
}, 120_000);
afterAll(async () => {
  await stack?.cleanup();
});

describe('periods page', () => {
  it("closes a quarter and downloads its CSV, equal to the period API's export", async () => {
    const g = await stack.page();
    await g.page.goto(stack.url('/periods'));
    const row = g.page.locator(`tr[data-period="${quarter.label}"][data-taxpayer=""]`);
    await row.waitFor();
    expect(await row.locator('[data-col="state"]').innerText()).toBe('open');
    expect(await row.locator('a[data-export]').count()).toBe(0);

    await g.page.locator('input[name="closedBy"]').fill('Aigerim (accountant)');
    await row.locator('button[data-action="close"]').click();
    await g.page.getByTestId('message').getByText(`${quarter.label} closed as v1.`).waitFor({ timeout: 30_000 });
    await row.locator('[data-col="state"]', { hasText: 'closed v1' }).waitFor();
    expect(await row.locator('button[data-action="close"]').isDisabled()).toBe(true);
    await stack.screenshot(g.page, 'periods-closed');

    const [download] = await Promise.all([
      g.page.waitForEvent('download'),
      row.locator('a[data-export="export.csv"]').click(),
    ]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(download.suggestedFilename()).toBe(`kzmeter-${quarter.label}-v1.csv`);

    const api = await fetch(stack.url(`/api/periods/${quarter.label}/export.csv?version=1`));
    expect(api.status).toBe(200);
    expect(csv).toBe(await api.text());
    const snapshot = (await (
      await fetch(stack.url(`/api/periods/${quarter.label}/export.json`))
    ).json()) as PeriodSnapshot;
    expect(snapshot.closedBy).toBe('Aigerim (accountant)');
    const [head, ...lines] = csv.trimEnd().split('\n');
    const cols = head!.split(',');
    expect(lines).toHaveLength(snapshot.lines.length);
    // fee_tenge has 5 decimals: without its point it is milli-tiyn. (No cell here holds a comma.)
    const fee = lines.reduce((a, l) => a + Number(l.split(',')[cols.indexOf('fee_tenge')]!.replace('.', '')), 0);
    expect(fee).toBe(snapshot.totals.total.feeMilliTiyn);
    expect(g.errors).toEqual([]);
    expect(g.external).toEqual([]);
    await g.page.close();
  });
});
