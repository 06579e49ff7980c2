import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { binSchema } from '../registry/schema.ts';
import { readJsonFile } from '../util/json-file.ts';
import { ROLES, type Role } from './roles.ts';
import { generateSecret, hashSecret, isSecretHash, PASSWORD_COST } from './secret-hash.ts';
import { KzmError } from '../util/errors.ts';
import { LANGS } from '../i18n/lang.js';

/**
 * People: name, role, optional taxpayer (BIN) they are bound to, an optional password (dashboard login) and
 * API tokens (bearer), all stored as salted scrypt hashes in `<dataDir>/auth/users.json`.
 */
const hash = z.string().refine(isSecretHash, 'a scrypt hash');
export const userSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._@-]{0,63}$/, 'lower-case letters, digits, ".", "_", "@" or "-"'),
  role: z.enum(ROLES),
  taxpayer: binSchema.optional(),
  /** The language the user reads the dashboard and exports in (issue 26); absent: Accept-Language decides. */
  lang: z.enum(LANGS).optional(),
  passwordHash: hash.optional(),
  tokens: z.array(z.strictObject({ id: z.string().regex(/^[a-f0-9]{12}$/), hash, createdAt: z.string() })).default([]),
  createdAt: z.string(),
});
const usersFileSchema = z.strictObject({ users: z.array(userSchema) });
export type User = z.infer<typeof userSchema>;

export class UsersFileError extends KzmError {
  constructor(message: string) {
    super(message, { code: 'users-file-invalid' });
  }
}

export const usersFilePath = (dataDir: string) => join(dataDir, 'auth', 'users.json');

export function readUsers(file: string): User[] {
  return readJsonFile(file, usersFileSchema, (m) => new UsersFileError(m))?.users ?? [];
}

export function writeUsers(file: string, users: readonly User[]): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ users }, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** An API token: `kzm_<id>_<secret>`; the id finds the hash without trying every one. */
export async function newToken(): Promise<{ token: string; record: User['tokens'][number] }> {
  const id = randomBytes(6).toString('hex');
  const secret = generateSecret();
  return {
    token: `kzm_${id}_${secret}`,
    record: { id, hash: await hashSecret(secret), createdAt: new Date().toISOString() },
  };
}

export function parseToken(token: string): { id: string; secret: string } | undefined {
  const m = /^kzm_([a-f0-9]{12})_([A-Za-z0-9_-]{43})$/.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

export const hashPassword = (password: string) => hashSecret(password, PASSWORD_COST);

/**
 * Where people are kept (issue 25: behind the state store, the users file or PostgreSQL). Async: a database answers
 * later. A change by the CLI applies to running services at once (the file is re-read when it changes; the
 * database is asked).
 */
export interface UserStore {
  byName(name: string): Promise<User | undefined>;
  byTokenId(id: string): Promise<{ user: User; hash: string } | undefined>;
  all(): Promise<readonly User[]>;
  /** A new user; UsersFileError when the name exists already. */
  add(user: User): Promise<void>;
  /** The user's new record (same name); UsersFileError when there is no such user. */
  replace(user: User): Promise<void>;
  /** false when there was no such user. */
  remove(name: string): Promise<boolean>;
}

export const tokenOwner = (users: readonly User[], id: string): { user: User; hash: string } | undefined => {
  for (const user of users) {
    const t = user.tokens.find((x) => x.id === id);
    if (t) return { user, hash: t.hash };
  }
  return undefined;
};

export const noSuchUser = (name: string) => new UsersFileError(`no user "${name}"`);
export const userExists = (name: string) => new UsersFileError(`user "${name}" exists already`);

/** The users file, kept in memory and re-read when it changes (a user added or removed by the CLI applies at once). */
export function createUserStore(file: string, onError?: (err: Error) => void): UserStore {
  let stamp = '';
  let users: User[] = [];
  const stampOf = () => {
    try {
      const s = statSync(file);
      return `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      return 'missing';
    }
  };
  const fresh = (): User[] => {
    const s = stampOf();
    if (s !== stamp) {
      try {
        users = readUsers(file);
        stamp = s;
      } catch (err) {
        if (!stamp) throw err;
        onError?.(err as Error);
      }
    }
    return users;
  };
  return {
    byName: async (name) => fresh().find((u) => u.name === name),
    byTokenId: async (id) => tokenOwner(fresh(), id),
    all: async () => fresh(),
    async add(user) {
      const list = readUsers(file);
      if (list.some((u) => u.name === user.name)) throw userExists(user.name);
      writeUsers(file, [...list, user]);
    },
    async replace(user) {
      const list = readUsers(file);
      const i = list.findIndex((u) => u.name === user.name);
      if (i < 0) throw noSuchUser(user.name);
      list[i] = user;
      writeUsers(file, list);
    },
    async remove(name) {
      const list = readUsers(file);
      if (!list.some((u) => u.name === name)) return false;
      writeUsers(
        file,
        list.filter((u) => u.name !== name),
      );
      return true;
    },
  };
}

/** Add a user (or a token to one); returns the secret to show once. */
export async function addUser(
  store: UserStore | string,
  spec: { name: string; role: Role; taxpayer?: string; password?: string },
): Promise<{ user: User; token: string }> {
  const users = typeof store === 'string' ? createUserStore(store) : store;
  if (await users.byName(spec.name)) throw userExists(spec.name);
  const { token, record } = await newToken();
  const user = userSchema.parse({
    name: spec.name,
    role: spec.role,
    ...(spec.taxpayer && { taxpayer: spec.taxpayer }),
    ...(spec.password && { passwordHash: await hashPassword(spec.password) }),
    tokens: [record],
    createdAt: new Date().toISOString(),
  });
  await users.add(user);
  return { user, token };
}
