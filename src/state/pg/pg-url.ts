/** The PostgreSQL URL of `state.url` (issue 25), checked; shown only with its password redacted. */
import { z } from 'zod';
import { redactUrl } from '../../util/redact.ts';
import { KzmError } from '../../util/errors.ts';

export class PgStateError extends KzmError {
  constructor(message: string, code = 'state-db-failed') {
    super(message, { code });
  }
}

const urlSchema = z
  .string()
  .refine((u) => URL.canParse(u), 'not a valid URL')
  .transform((u) => new URL(u))
  .refine((u) => u.protocol === 'postgres:' || u.protocol === 'postgresql:', 'the scheme must be postgres://')
  .refine((u) => u.hostname !== '' || new URLSearchParams(u.search).has('host'), 'a host is needed');

/** The URL, validated; a bad one is a PgStateError whose message never holds the password. */
export function checkStateUrl(url: string): string {
  const r = urlSchema.safeParse(url);
  if (!r.success)
    throw new PgStateError(`state.url ${redactUrl(url)}: ${r.error.issues[0]!.message}`, 'config-invalid');
  return url;
}

/** An error of the database client, fit for a log line or an answer: no URL credentials in it. */
export const pgErrorText = (url: string, err: unknown): string => {
  const text = err instanceof Error ? err.message : String(err);
  const pw = URL.canParse(url) ? decodeURIComponent(new URL(url).password) : '';
  return redactUrl(pw ? text.split(pw).join('***') : text);
};
