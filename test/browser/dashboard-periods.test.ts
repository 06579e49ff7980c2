/**
 * An accountant closes the previous quarter from the Periods page (its last two days backfilled by the
 * simulator, the rest substituted): the close shows a preview and needs a confirmation with an
 * acknowledgement (most meters sent nothing), a running quarter is refused, old unclosed quarters are
 * marked overdue; then the CSV download is the period API's export of the version just closed, and its
 * lines add up to the snapshot's total.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { PeriodSnapshot } from '../../src/periods/snapshot-types.ts';
import { quarterAt } from '../../src/fees/index.ts';
import {
  BACKFILL_METERS,
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
    // The preview: per taxpayer and source, the meters that sent nothing, what needs acknowledging.
    const preview = g.page.getByTestId('close-preview');
    await preview.waitFor({ timeout: 30_000 });
    const api = (await (await fetch(stack.url(`/api/periods/${quarter.label}/preview`))).json()) as {
      rows: { taxpayerBin: string }[];
      totalAmountTenge: string;
      metersWithoutReadings: string[];
      needsAcknowledgement: string[];
    };
    expect(await preview.locator('tbody tr:not(.total)').count()).toBe(api.rows.length);
    // The page groups digits (en: 1,242,132.48; issue 26), the figure is the API's to the tiyn.
    expect((await preview.getByTestId('preview-total').innerText()).replace(/,/g, '')).toBe(api.totalAmountTenge);
    const silent = stack.registry.meters
      .map((m) => m.id)
      .filter((id) => !(BACKFILL_METERS as readonly string[]).includes(id));
    expect([...api.metersWithoutReadings].sort()).toEqual(silent.sort());
    for (const id of silent) expect(await preview.getByTestId('preview-silent').innerText()).toContain(id);
    expect(await preview.getByTestId('preview-flags').locator('li').count()).toBe(api.needsAcknowledgement.length);
    await stack.screenshot(g.page, 'periods-preview');
    // Nothing is closed yet; confirming without the acknowledgement is refused in the page.
    expect(await row.locator('[data-col="state"]').innerText()).toBe('open');
    await preview.locator('button[data-action="confirm-close"]').click();
    await g.page.getByTestId('message').locator('[role="alert"]', { hasText: 'acknowledgement' }).waitFor();
    await preview.locator('textarea[name="acknowledgement"]').fill('Demo: only three meters were installed');
    await preview.locator('button[data-action="confirm-close"]').click();
    await g.page.getByTestId('message').getByText(`${quarter.label} closed as v1.`).waitFor({ timeout: 30_000 });
    expect(await preview.count()).toBe(0);
    await row.locator('[data-col="state"]', { hasText: 'closed v1' }).waitFor();
    expect(await row.locator('button[data-action="close"]').isDisabled()).toBe(true);
    await stack.screenshot(g.page, 'periods-closed');

    const [download] = await Promise.all([
      g.page.waitForEvent('download'),
      row.locator('a[data-export="export.csv"]').click(),
    ]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(download.suggestedFilename()).toBe(`kzmeter-${quarter.label}-v1.csv`);

    const exported = await fetch(stack.url(`/api/periods/${quarter.label}/export.csv?version=1`));
    expect(exported.status).toBe(200);
    expect(csv).toBe(await exported.text());
    const snapshot = (await (
      await fetch(stack.url(`/api/periods/${quarter.label}/export.json`))
    ).json()) as PeriodSnapshot;
    expect(snapshot.closedBy).toBe('Aigerim (accountant)');
    expect(snapshot.acknowledgement).toEqual({
      by: 'Aigerim (accountant)',
      reason: 'Demo: only three meters were installed',
      items: api.needsAcknowledgement,
    });
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

  it('refuses to close a quarter that has not ended, before any preview', async () => {
    const g = await stack.page();
    await g.page.goto(stack.url('/periods'));
    const current = quarterAt(Date.now(), 'Asia/Almaty').label;
    const row = g.page.locator(`tr[data-period="${current}"]`);
    await row.waitFor();
    expect(await row.locator('[data-col="state"]').innerText()).toBe('still in progress');
    expect(await row.locator('button[data-action="close"]').isDisabled()).toBe(true);
    await g.page.locator('input[name="closedBy"]').fill('Aigerim (accountant)');
    await g.page.locator('input[name="period"]').fill(current);
    await g.page.locator('button[data-action="close-other"]').click();
    await g.page
      .getByTestId('message')
      .locator('[role="alert"]', { hasText: `period ${current} is still in progress` })
      .waitFor({ timeout: 30_000 });
    expect(await g.page.getByTestId('close-preview').count()).toBe(0);
    const res = await fetch(stack.url(`/api/periods/${current}/close`), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ closedBy: 'x', acknowledgement: 'x' }),
    });
    expect(res.status).toBe(409);
    // The browser logs the refused preview request (409) itself; nothing else may fail.
    expect(g.errors.filter((e) => !/status of 409/.test(e))).toEqual([]);
    expect(g.errors.length).toBeLessThanOrEqual(1);
    await g.page.close();
  });

  it('marks the declaration of an old quarter never closed as overdue, and the running one as not yet due', async () => {
    const g = await stack.page();
    await g.page.goto(stack.url('/periods'));
    // Four quarters back: its declaration date (the 15th of the second month after it) has always passed.
    let q = quarterAt(Date.now(), 'Asia/Almaty');
    const current = q.label;
    for (let i = 0; i < 4; i++) q = quarterAt(q.fromMs - 1, 'Asia/Almaty');
    const old = g.page.locator(`tr[data-period="${q.label}"][data-taxpayer=""]`);
    await old.waitFor();
    expect(await old.getAttribute('class')).toBe('overdue');
    const declaration = old.locator('[data-due="declaration:overdue"]');
    expect(await declaration.innerText()).toMatch(/^declare by \d{4}-\d{2}-15\s*overdue$/);
    expect(await old.locator('[data-due="payment:overdue"] .due-overdue').innerText()).toBe('overdue');
    const running = g.page.locator(`tr[data-period="${current}"]`);
    expect(await running.locator('[data-due="declaration:upcoming"]').count()).toBe(1);
    expect(await running.locator('.due-mark').count()).toBe(0);
    await stack.screenshot(g.page, 'periods-overdue');
    expect(g.errors).toEqual([]);
    await g.page.close();
  });
});
