/**
 * Dashboard sessions (issue 25: kept with the state, so a restart or another instance behind the same address logs
 * nobody out). Only the SHA-256 of a session id is stored, on disk or in the database: whoever reads the store
 * cannot take over a session. Every session expires (12 h by default) and their number is bounded (the oldest go).
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { readJsonFile, writeJsonFile } from '../util/json-file.ts';
import { KzmError } from '../util/errors.ts';

export interface Session {
  readonly id: string;
  readonly user: string;
  readonly expiresMs: number;
}

export interface SessionStore {
  create(user: string): Promise<Session>;
  /** The live session of this id; an expired one is removed and not answered. */
  get(id: string): Promise<Session | undefined>;
  delete(id: string): Promise<void>;
}
export type Sessions = SessionStore;

export interface SessionOptions {
  readonly ttlMs?: number;
  readonly max?: number;
  readonly now?: () => number;
}

export const SESSION_TTL_MS = 12 * 3600_000;
export const SESSION_MAX = 10_000;

/** What is stored of a session: never its id, only the id's SHA-256 (hex). */
export const sessionKey = (id: string): string => createHash('sha256').update(id).digest('hex');
export const newSessionId = (): string => randomBytes(32).toString('base64url');

export const storedSessionSchema = z.strictObject({
  key: z.string().regex(/^[0-9a-f]{64}$/),
  user: z.string().min(1).max(64),
  expiresMs: z.number().int().min(0),
});
export type StoredSession = z.infer<typeof storedSessionSchema>;
const fileSchema = z.strictObject({ sessions: z.array(storedSessionSchema) });

export class SessionStoreError extends KzmError {
  constructor(message: string) {
    super(message, { code: 'sessions-file-invalid' });
  }
}

/**
 * Sessions in memory, written through to `file` when one is given (`<dataDir>/auth/sessions.json`, 0600) and read
 * back at start. A damaged file logs nobody in: it is started anew (sessions are not worth refusing a start for).
 */
export function createSessions(opts: SessionOptions & { file?: string; onError?: (err: Error) => void } = {}) {
  const ttlMs = opts.ttlMs ?? SESSION_TTL_MS;
  const max = opts.max ?? SESSION_MAX;
  const now = opts.now ?? Date.now;
  const byKey = new Map<string, StoredSession>();
  const save = () => {
    if (opts.file) writeJsonFile(opts.file, { sessions: [...byKey.values()] });
  };
  if (opts.file)
    try {
      const stored = readJsonFile(opts.file, fileSchema, (m) => new SessionStoreError(m))?.sessions ?? [];
      for (const s of stored) if (s.expiresMs > now()) byKey.set(s.key, s);
      if (byKey.size < stored.length) save(); // expired ones leave the file at once
    } catch (err) {
      opts.onError?.(err as Error);
    }
  const store: SessionStore = {
    async create(user) {
      const t = now();
      for (const [k, s] of byKey) if (s.expiresMs <= t) byKey.delete(k);
      // bounded: drop the oldest (Map keeps insertion order)
      while (byKey.size >= max) byKey.delete(byKey.keys().next().value!);
      const s = { id: newSessionId(), user, expiresMs: t + ttlMs };
      byKey.set(sessionKey(s.id), { key: sessionKey(s.id), user, expiresMs: s.expiresMs });
      save();
      return s;
    },
    async get(id) {
      const key = sessionKey(id);
      const s = byKey.get(key);
      if (!s) return undefined;
      if (s.expiresMs <= now()) {
        byKey.delete(key);
        save();
        return undefined;
      }
      return { id, user: s.user, expiresMs: s.expiresMs };
    },
    async delete(id) {
      if (byKey.delete(sessionKey(id))) save();
    },
  };
  return store;
}
