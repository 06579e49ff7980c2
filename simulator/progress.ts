/** Progress of a run: fraction of simulated time done, message rate, ETA; drawn as a bar on stderr. */
export interface Progress {
  sent: number;
  /** 0..1 of the simulated range, or undefined for an open-ended run. */
  fraction: number | undefined;
  ratePerS: number;
  etaS: number | undefined;
  elapsedS: number;
  simTime: string;
  /** Simulated instant reached, ms. */
  atMs: number;
}

export function computeProgress(
  sent: number,
  atMs: number,
  startMs: number,
  endMs: number | undefined,
  elapsedMs: number,
): Progress {
  const fraction = endMs === undefined ? undefined : Math.min(1, Math.max(0, (atMs - startMs) / (endMs - startMs)));
  const elapsedS = elapsedMs / 1000;
  const ratePerS = elapsedS > 0 ? sent / elapsedS : 0;
  const etaS = fraction !== undefined && fraction > 0 ? (elapsedS * (1 - fraction)) / fraction : undefined;
  return { sent, fraction, ratePerS, etaS, elapsedS, simTime: new Date(atMs).toISOString().slice(0, 16), atMs };
}

const hms = (s: number): string => {
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`;
};

export function renderProgress(p: Progress, width = 30): string {
  const rate = `${Math.round(p.ratePerS).toLocaleString('en-US')} msg/s`;
  if (p.fraction === undefined) return `${p.sent.toLocaleString('en-US')} msgs  ${rate}  sim ${p.simTime}`;
  const full = Math.round(p.fraction * width);
  const bar = `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
  const eta = p.etaS === undefined ? '--' : hms(p.etaS);
  return `${bar} ${(p.fraction * 100).toFixed(1).padStart(5)}%  ${p.sent.toLocaleString('en-US')} msgs  ${rate}  ETA ${eta}  sim ${p.simTime}`;
}
