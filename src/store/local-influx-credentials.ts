/**
 * The admin credentials of the influxd that `serve` starts itself (issue 21 F9): generated at its first start,
 * kept in `<dataDir>/auth/local-influxd.json` (0600, in a 0700 folder), used by the service and by the commands
 * that find that influxd through `<dataDir>/local-influx.json` (which holds no secret).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { KzmError } from '../util/errors.ts';

const schema = z.strictObject({
  username: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/),
  password: z.string().regex(/^[A-Za-z0-9_-]{32,128}$/),
  createdAt: z.string(),
});
export type LocalInfluxCredentials = z.infer<typeof schema>;

export class LocalInfluxCredentialsError extends KzmError {
  constructor(message: string) {
    super(message, { code: 'local-influx-credentials-invalid' });
  }
}

export const localInfluxCredentialsFile = (dataDir: string): string => join(dataDir, 'auth', 'local-influxd.json');

/** The stored credentials, or undefined when there are none yet. A damaged file is an error (never replaced). */
export function readLocalInfluxCredentials(dataDir: string): LocalInfluxCredentials | undefined {
  const file = localInfluxCredentialsFile(dataDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LocalInfluxCredentialsError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  let parsed: ReturnType<typeof schema.safeParse>;
  try {
    parsed = schema.safeParse(JSON.parse(text));
  } catch {
    parsed = { success: false } as ReturnType<typeof schema.safeParse>;
  }
  if (!parsed.success)
    throw new LocalInfluxCredentialsError(
      `${file} is damaged (not the { username, password, createdAt } the service wrote): restore it from a backup; the local InfluxDB's admin was created with it`,
    );
  return parsed.data;
}

/** The stored credentials, created (256 random bits, file 0600, exclusive create) at the first start. */
export function localInfluxCredentials(dataDir: string): LocalInfluxCredentials {
  const found = readLocalInfluxCredentials(dataDir);
  if (found) return found;
  const file = localInfluxCredentialsFile(dataDir);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  chmodSync(dirname(file), 0o700);
  const creds: LocalInfluxCredentials = {
    username: 'kzmeter',
    password: randomBytes(32).toString('base64url'),
    createdAt: new Date().toISOString(),
  };
  try {
    writeFileSync(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process (a second serve on the same data dir) created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readLocalInfluxCredentials(dataDir)!;
    throw err;
  }
  return creds;
}
