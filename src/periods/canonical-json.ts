/**
 * Canonical serialisation of a snapshot: keys sorted (code-unit order), no
 * whitespace, `undefined` members left out, only finite numbers. The same value
 * gives the same bytes on every machine and Node version, so a SHA-256 over it
 * identifies the content. Money and energy are integers in the snapshot; the
 * only non-integers allowed are policy parameters such as spikeTolerance, which
 * JSON.stringify prints with the shortest round-trip form (ECMA-262 Number::toString).
 */
import { createHash } from 'node:crypto';
import { KzmError } from '../util/errors.ts';

export class CanonicalJsonError extends KzmError {
  constructor(message: string) {
    super(message, { code: 'not-canonical' });
  }
}

function write(value: unknown, path: string, out: string[]): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${path}: not a finite number (${value})`);
      out.push(JSON.stringify(value));
      return;
    case 'object':
      break;
    default:
      throw new CanonicalJsonError(`${path}: cannot serialise a ${typeof value}`);
  }
  if (Array.isArray(value)) {
    out.push('[');
    value.forEach((v, i) => {
      if (i) out.push(',');
      write(v === undefined ? null : v, `${path}[${i}]`, out);
    });
    out.push(']');
    return;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  out.push('{');
  entries.forEach(([k, v], i) => {
    if (i) out.push(',');
    out.push(JSON.stringify(k), ':');
    write(v, `${path}.${k}`, out);
  });
  out.push('}');
}

/** Canonical JSON text of a plain value. */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, '$', out);
  return out.join('');
}

/** 'sha256:<hex>' of the canonical JSON of `value` without its `digest` member. */
export function digestOf(value: Record<string, unknown>): string {
  const { digest: _ignored, ...rest } = value;
  return `sha256:${createHash('sha256').update(canonicalJson(rest), 'utf8').digest('hex')}`;
}
