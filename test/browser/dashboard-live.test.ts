/**
 * Meters going down while an operator watches: the simulator publishes two meters live (2-second
 * readings, as the registry here says), then one loses its TCP link (the broker publishes its last will)
 * and the other goes silent, both for 15 s. The meters grid, never reloaded, shows both offline — the
 * will at once, the silent one after 3 reporting intervals — puts them first, and shows them back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DashboardStack, startDashboardStack } from '../helpers/dashboard-stack.ts';

const WILL = 'ekb-1-m02';
const SILENT = 'ekb-1-m03';
const INTERVAL_S = 2;
/** When the failures start, after the page has seen both meters online, and how long they last. */
const FAIL_AFTER_MS = 12_000;
const OUTAGE_MIN = 0.25;
let stack: DashboardStack;

beforeAll(async () => {
  stack = await startDashboardStack({ intervals: { [WILL]: INTERVAL_S, [SILENT]: INTERVAL_S } });
}, 60_000);
afterAll(async () => {
  await stack?.cleanup();
});

describe('meters grid, live', () => {
  it('shows a meter offline by its last will and one gone silent, without reloading, then back online', async () => {
    const g = await stack.page();
    await g.page.goto(stack.url('/meters'));
    await g.page.getByTestId('meters-grid').waitFor();
    await g.page.evaluate(() => {
      (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
    });

    const t0 = Date.now();
    const failAt = new Date(t0 + FAIL_AFTER_MS).toISOString();
    stack.live({
      name: 'dashboard-going-down',
      meters: [WILL, SILENT],
      start: new Date(t0).toISOString(),
      reportingIntervalS: INTERVAL_S,
      failures: [
        { kind: 'outage-will', meter: WILL, at: failAt, durationMin: OUTAGE_MIN },
        { kind: 'outage', meter: SILENT, at: failAt, durationMin: OUTAGE_MIN },
      ],
    });
    const row = (id: string, state: string) => g.page.locator(`tr[data-meter="${id}"][data-state="${state}"]`);
    await row(WILL, 'online').waitFor({ timeout: FAIL_AFTER_MS });
    await row(SILENT, 'online').waitFor({ timeout: FAIL_AFTER_MS });

    // The will goes out when the link drops; silence shows after 3 intervals plus a tick: generous bounds.
    await row(WILL, 'offline').waitFor({ timeout: 30_000 });
    await row(SILENT, 'offline').waitFor({ timeout: 30_000 });
    expect(await g.page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);

    // Default order: offline first, each with the time it went offline.
    const order = await g.page
      .locator('[data-testid="meters-grid"] tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')));
    expect(order.slice(0, 2)).toEqual(['offline', 'offline']);
    for (const id of [WILL, SILENT])
      expect(await row(id, 'offline').locator('[data-col="state"]').innerText()).toMatch(
        /offline\s+since \d{4}-\d{2}-\d{2} \d{2}:\d{2}/,
      );
    // The service agrees (same derivation, no browser involved).
    const api = (await (await fetch(stack.url('/api/dashboard/meters'))).json()) as {
      meters: { id: string; live: { state: string; since: string } }[];
    };
    for (const id of [WILL, SILENT]) {
      const m = api.meters.find((x) => x.id === id)!;
      expect(m.live.state).toBe('offline');
      expect(Date.parse(m.live.since)).toBeGreaterThanOrEqual(t0);
    }
    await stack.screenshot(g.page, 'meters-offline-live');
    // Back after the outage (and the live run is stopped with both links up).
    await row(WILL, 'online').waitFor({ timeout: 40_000 });
    await row(SILENT, 'online').waitFor({ timeout: 40_000 });
    expect(g.errors).toEqual([]);
    expect(g.external).toEqual([]);
    await g.page.close();
  });
});
