import type { EnergySource, LineReason } from '../fees/index.ts';

/** The fees of one meter, energy source and local day: what a `fee_1d` point holds (see store/schema.ts). */
export interface FeeDay {
  readonly meterId: string;
  readonly siteId: string;
  readonly taxpayerBin: string;
  readonly source: EnergySource;
  readonly quarter: string;
  readonly dayStartMs: number;
  readonly lines: number;
  readonly meteredWh: number;
  readonly substitutedWh: number;
  readonly meteredFeeMilliTiyn: number;
  readonly substitutedFeeMilliTiyn: number;
  readonly byReason: ReadonlyMap<LineReason, { wh: number; feeMilliTiyn: number }>;
  /**
   * What a declared line of this day is rounded to (milli-tiyn: 1,000 a tiyn, 100,000 a tenge; 0 for a day
   * without lines): lets Grafana round the amount due per declared line as the ledger does.
   */
  readonly roundUnitMilliTiyn: number;
}
