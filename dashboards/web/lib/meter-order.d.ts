/** Types of meter-order.js (for the unit tests and editors; the browser loads the .js). */
export interface OrderRow {
  id: string;
  site: string;
  siteName?: string;
  source?: string;
  live: { state: string; since: string | null; lastReadingAt: string | null; loadPct: number | null };
  ledger: { substitutedMs: number; substitutedFeeMilliTiyn: number; substitutingSince: string | null } | null;
}
export declare const STATE_RANK: Record<string, number>;
export declare const SORT_KEYS: Record<string, (r: OrderRow) => string | number | null>;
export declare function defaultOrder(a: OrderRow, b: OrderRow): number;
export declare function sortRows<T extends OrderRow>(rows: readonly T[], key?: string, dir?: 'asc' | 'desc'): T[];
export declare function filterRows<T extends OrderRow>(
  rows: readonly T[],
  filter?: { text?: string; state?: string; site?: string },
): T[];
