/**
 * The demo's banner (serve --simulate without a scenario): while the quarter so far is being backfilled
 * every page says so, with its progress, because the figures are partial until it ends. Without the demo
 * /api/dashboard/demo answers { phase: 'none' } and nothing is shown.
 */
import { S } from '../strings.js';
import { fill, h } from './dom.js';

async function status() {
  const res = await fetch('/api/dashboard/demo', { headers: { accept: 'application/json' } });
  return res.ok ? res.json() : null;
}

export async function demoBanner(host, pollMs = 1000) {
  let s = await status().catch(() => null);
  if (!s || s.phase !== 'backfill') return;
  const el = h('div', { class: 'banner', role: 'status', 'data-testid': 'demo-banner' });
  host.after(el);
  while (s && s.phase === 'backfill') {
    fill(el, S.demo.backfilling(s.firstDay, Math.floor(s.fraction * 100), s.simTime, s.etaS));
    await new Promise((r) => setTimeout(r, pollMs));
    s = await status().catch(() => s);
  }
  fill(el, S.demo.done(s?.backfillS));
  el.classList.add('banner-done');
  setTimeout(() => el.remove(), 15_000);
}
