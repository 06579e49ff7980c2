import type { MeterFacts, QuarterPrice } from '../fees/types.ts';
import type { RigInput, SiteInput, TaxpayerInput } from './schema.ts';
import type { Device } from '../formats/types.ts';

export type Taxpayer = TaxpayerInput;
export type Site = SiteInput;
export interface Rig extends RigInput {
  readonly installedMs?: number;
  readonly removedMs?: number;
}

/**
 * A meter with every date resolved to epoch ms in its site's zone and its max-load history derived:
 * the fee engine's MeterFacts (under `id`) plus where its max load comes from and the rigs behind it.
 */
export interface Meter extends Omit<MeterFacts, 'meterId'> {
  readonly id: string;
  /** 'declared' when maxLoadKw is given, 'rigs' when derived from the rigs behind the meter. */
  readonly maxLoadBasis: 'declared' | 'rigs';
  readonly rigs: readonly Rig[];
}

export interface Registry {
  readonly taxpayers: readonly Taxpayer[];
  readonly sites: readonly Site[];
  readonly meters: readonly Meter[];
  readonly meterById: ReadonlyMap<string, Meter>;
  readonly siteById: ReadonlyMap<string, Site>;
  /** SHA-256 over the registry files as read: which registry a ledger was computed with. */
  readonly version: string;
  /** Average electricity price per site and quarter (prices.yaml; the 2023 price-scale rates). */
  readonly prices: readonly QuarterPrice[];
  /** Devices publishing in vendor formats (devices.yaml); absent or empty when every meter speaks our JSON. */
  readonly devices?: readonly Device[];
}

export type { Device } from '../formats/types.ts';
