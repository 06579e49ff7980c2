/**
 * ASIC rig models: typical wall power and hashrate. The registry's rated power
 * is the ceiling (it sets the meter's max load); a running rig draws a little
 * below it, with noise.
 */

export interface RigModel {
  readonly name: string;
  /** Typical wall power at stock settings. */
  readonly nominalW: number;
  readonly hashrateThs: number;
  /** Minutes from power-on to full draw (fans, chip tuning). */
  readonly warmUpMin: number;
  /** Draw during a reboot: the control board and fans only. */
  readonly idleW: number;
}

export const RIG_MODELS: readonly RigModel[] = [
  { name: 'Antminer S19j Pro', nominalW: 3070, hashrateThs: 100, warmUpMin: 6, idleW: 40 },
  { name: 'Antminer S19 Pro', nominalW: 3250, hashrateThs: 110, warmUpMin: 6, idleW: 40 },
  { name: 'Antminer S21', nominalW: 3500, hashrateThs: 200, warmUpMin: 5, idleW: 45 },
  { name: 'Whatsminer M50', nominalW: 3300, hashrateThs: 118, warmUpMin: 8, idleW: 50 },
];

const GENERIC: RigModel = { name: 'generic ASIC', nominalW: 3250, hashrateThs: 110, warmUpMin: 6, idleW: 40 };

/** The model for a registry model string; longest matching name first so 'S19j Pro' is not taken for 'S19 Pro'. */
export function rigModelFor(model: string): RigModel {
  const text = model.toLowerCase();
  const sorted = [...RIG_MODELS].sort((a, b) => b.name.length - a.name.length);
  for (const m of sorted) {
    if (text.includes(m.name.toLowerCase())) return m;
    const short = m.name.split(' ').slice(1).join(' ').toLowerCase();
    if (short && text.includes(short)) return m;
  }
  return GENERIC;
}
