import { formatTiyn, roundMilliTiynToTiyn } from '../../fees/index.ts';

/**
 * An exact fee (milli-tiyn) shown as tenge to the tiyn, for reading only: declared amounts are rounded
 * once per declared line by the tariff's rule (the ledger report's declaredTenge), not per figure here.
 */
export const tengeOf = (milliTiyn: number): string => formatTiyn(roundMilliTiynToTiyn(milliTiyn, 'half-up-tiyn'));
