/** InfluxQL text: quoting and the conditions every reader shares. */

/** Quote an identifier / string literal for InfluxQL. */
export const ident = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
export const literal = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** `time >= 123ms` etc.: epoch-millisecond literals. */
export const ms = (t: number): string => `${Math.trunc(t)}ms`;

const reEscape = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|/]/g, (c) => `\\${c}`);

/** WHERE condition selecting these meters by tag. */
export function meterCondition(meterIds: readonly string[]): string {
  if (meterIds.length === 1) return `${ident('meter')} = ${literal(meterIds[0]!)}`;
  return `${ident('meter')} =~ /^(?:${meterIds.map(reEscape).join('|')})$/`;
}
