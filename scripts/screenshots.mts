/**
 * Regenerates docs/screenshots/*.png (the web dashboard for the README) with the browser tests' setup
 * (test/helpers/dashboard-stack.ts): a real influxd, the service, the simulator and headless Chromium.
 *
 *   npx tsx scripts/screenshots.mts
 *
 * History: the last 36 hours of ten meters backfilled (a silent outage, a fault, a spike, garbage, and a
 * last will that is still down), two more meters publishing live, the previous quarter closed. Each page
 * is shot 1200 px wide and stored as an indexed PNG (scripts/png-palette.mts). Prints each file's size
 * and the overview's load timings from the browser's performance API.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { previousQuarter, startDashboardStack } from '../test/helpers/dashboard-stack.ts';
import { paletteEncode } from './png-palette.mts';

const OUT = join(import.meta.dirname, '../docs/screenshots');
const H = 3_600_000;
const LIVE = ['kpg-2-m01', 'kpg-2-m02'];

const stack = await startDashboardStack({ intervals: {} });
try {
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const at = (ms: number) => new Date(ms).toISOString();
  const history = stack.registry.meters.map((m) => m.id).filter((id) => !LIVE.includes(id));
  await stack.backfill({
    name: 'screenshots-history',
    seed: 11,
    meters: history,
    start: at(now - 36 * H),
    end: at(now - 60_000),
    failures: [
      { kind: 'outage', meter: 'ekb-1-m04', at: at(now - 20 * H), durationMin: 180 },
      { kind: 'fault', meter: 'ast-3-m01', at: at(now - 9 * H), durationMin: 45 },
      { kind: 'spike', meter: 'kpg-2-m03', at: at(now - 30 * H) },
      { kind: 'garbage', meter: 'ekb-1-m04', count: 4 },
      // Still down when the history ends: its last will stands.
      { kind: 'outage-will', meter: 'ekb-1-m06', at: at(now - 40 * 60_000), durationMin: 120 },
    ],
  });
  stack.live({ name: 'screenshots-live', meters: LIVE, start: at(Date.now()) });
  const q = previousQuarter(Date.now()).label;
  const closed = await fetch(stack.url(`/api/periods/${q}/close`), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ closedBy: 'Aigerim (accountant)' }),
  });
  if (!closed.ok) throw new Error(`closing ${q}: ${await closed.text()}`);

  const shots = [
    { name: 'overview', path: '/', ready: '[data-count="offline"]' },
    { name: 'meters', path: '/meters', ready: 'tr[data-state="offline"]' },
    { name: 'meter-detail', path: '/meters/ekb-1-m04', ready: '.kzm-band' },
    { name: 'periods', path: '/periods', ready: 'a[data-export]' },
  ];
  mkdirSync(OUT, { recursive: true });
  for (const s of shots) {
    const g = await stack.page();
    await g.page.goto(stack.url(s.path), { waitUntil: 'load' });
    await g.page.locator(s.ready).first().waitFor({ timeout: 30_000 });
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
  await stack.cleanup();
}
