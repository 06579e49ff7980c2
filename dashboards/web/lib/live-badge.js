import { S } from '../strings.js';

/** The live-updates badge in the header: up (events flowing) or reconnecting. */
export function setLive(up) {
  const el = document.getElementById('live');
  if (!el) return;
  el.hidden = false;
  el.className = up ? 'live live-up' : 'live live-down';
  el.textContent = up ? S.common.live : S.common.liveLost;
}
