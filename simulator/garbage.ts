/** Garbage payloads real fleets produce, each to be rejected by ingest with its own reason. */
import type { Prng } from './prng.ts';

export const GARBAGE_VARIANTS = [
  'not-json',
  'truncated-json',
  'wrong-types',
  'negative-kwh',
  'invalid-utf8',
  'empty-batch',
  'missing-ts',
  'nan',
] as const;
export type GarbageVariant = (typeof GARBAGE_VARIANTS)[number];

export function garbagePayload(variant: GarbageVariant, ts: string, registerKwh: number): string | Uint8Array {
  switch (variant) {
    case 'not-json':
      return `kwh=${registerKwh};ts=${ts}`;
    case 'truncated-json':
      return `{"ts":"${ts}","kwh":${registerKwh}`.slice(0, -3);
    case 'wrong-types':
      return '{"ts":"yesterday","kwh":"a lot"}';
    case 'negative-kwh':
      return JSON.stringify({ ts, kwh: -registerKwh });
    case 'invalid-utf8':
      return new Uint8Array([0x7b, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0x7d]);
    case 'empty-batch':
      return '[]';
    case 'missing-ts':
      return JSON.stringify({ kwh: registerKwh });
    case 'nan':
      return `{"ts":"${ts}","kwh":NaN}`;
  }
}

export function pickGarbage(prng: Prng): GarbageVariant {
  return prng.pick(GARBAGE_VARIANTS);
}
