/**
 * Regenerates docs/screenshots/*.png (the web dashboard for the README) with the browser tests' setup
 * (test/helpers/dashboard-stack.ts): a real influxd, the service, the simulator and headless Chromium.
 *
 *   npx tsx scripts/screenshots.mts
 *
 * History: what `npm start` shows, the demo (simulator/demo.ts): every registry meter from the first
 * day of the running quarter, backfilled at full speed in batches, the past thinned to every second
 * reading (a meter fault with a frozen register, a silent outage and a dropped link on fixed days), then
 * live. The quarter two back is closed
 * (with an acknowledgement: it has no readings); the Periods page is shot with the close preview of the
 * previous quarter open. Each page is shot 1200 px wide and stored as an indexed PNG
 * (scripts/png-palette.mts). Prints the backfill time, each file's size and the overview's load timings.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSimulation } from '../simulator/index.ts';
import { batchPastReadings, demoScenario } from '../simulator/demo.ts';
import { previousQuarter, startDashboardStack } from '../test/helpers/dashboard-stack.ts';
import { paletteEncode } from './png-palette.mts';

const OUT = join(import.meta.dirname, '../docs/screenshots');
const H = 3_600_000;

const stack = await startDashboardStack({ intervals: {} });
const abort = new AbortController();
let sim: Promise<unknown> | undefined;
try {
  const now = Date.now();
  const t0 = Date.now();
  let live!: () => void;
  const reachedNow = new Promise<void>((r) => (live = r));
  sim = runSimulation({
    scenario: demoScenario(now),
    brokerUrl: stack.svc.brokerUrl,
    clock: 'catch-up',
    transform: (stream) => batchPastReadings(stream, now, { keepEvery: 2, onLive: live }),
    groundTruth: false,
    outDir: join(OUT, '../../test-artifacts/screenshots-run'),
    signal: abort.signal,
  });
  await reachedNow;
  console.log(`quarter-to-date backfill: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (let i = 0; i < 200 && stack.svc.writer.state().pendingLines > 0; i++)
    await new Promise((r) => setTimeout(r, 50));

  const prev = previousQuarter(now);
  const older = previousQuarter(prev.fromMs).label;
  const closed = await fetch(stack.url(`/api/periods/${older}/close`), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      closedBy: 'Aigerim (accountant)',
      acknowledgement: 'Before commissioning of the metering system: no readings exist for this quarter',
    }),
  });
  if (!closed.ok) throw new Error(`closing ${older}: ${await closed.text()}`);

  const day = (ms: number) => new Date(ms + 5 * H).toISOString().slice(0, 10);
  const faultMs = Date.parse(demoScenario(now).failures.find((f) => f.kind === 'fault')!.at!);
  const shots = [
    { name: 'overview', path: '/', ready: '[data-testid="daily"] rect.bar-now' },
    { name: 'meters', path: '/meters', ready: 'tr[data-state="online"]' },
    {
      name: 'meter-detail',
      // Two days around the demo's meter fault (day 20 of the quarter).
      path: `/meters/ekb-1-m07?from=${day(faultMs - 24 * H)}&to=${day(faultMs + 36 * H)}`,
      ready: '.kzm-band',
    },
    { name: 'periods', path: '/periods', ready: 'a[data-export]', preview: prev.label },
  ];
  mkdirSync(OUT, { recursive: true });
  for (const s of shots) {
    const g = await stack.page();
    await g.page.goto(stack.url(s.path), { waitUntil: 'load' });
    await g.page.locator(s.ready).first().waitFor({ timeout: 60_000 });
    if (s.preview) {
      await g.page.locator('input[name="closedBy"]').fill('Aigerim (accountant)');
      await g.page.locator(`tr[data-period="${s.preview}"] button[data-action="close"]`).click();
      await g.page.getByTestId('close-preview').waitFor({ timeout: 60_000 });
    }
    await g.page.waitForTimeout(500);
    if (s.name === 'overview') {
      console.log(
        'overview timing:',
        await g.page.evaluate(`(() => {
        const n = performance.getEntriesByType('navigation')[0];
        const r = performance.getEntriesByType('resource');
        const shown = performance.getEntriesByName('kzm-rendered')[0];
        return { domContentLoadedMs: Math.round(n.domContentLoadedEventEnd), loadMs: Math.round(n.loadEventEnd), renderedMs: shown && Math.round(shown.startTime), requests: r.length + 1,
          transferBytes: r.reduce((a, x) => a + x.transferSize, n.transferSize), decodedBytes: r.reduce((a, x) => a + x.decodedBodySize, n.decodedBodySize) };
      })()`),
      );
    }
    const png = paletteEncode(await g.page.screenshot({ fullPage: true }));
    writeFileSync(join(OUT, `${s.name}.png`), png);
    console.log(`${s.name}.png: ${(png.length / 1024).toFixed(0)} KB`);
    if (g.errors.length || g.external.length) throw new Error(`${s.name}: ${[...g.errors, ...g.external].join('; ')}`);
    await g.page.close();
  }
} finally {
  abort.abort();
  await sim?.catch(() => undefined);
  await stack.cleanup();
}
