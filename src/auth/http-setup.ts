import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { AuditStore } from './audit-chain.ts';
import { AuditKeyError } from './audit-keys.ts';
import { isLoopbackHost } from './bind-check.ts';
import { createAuthenticator } from './principal.ts';
import type { SessionStore } from './session-store.ts';
import { createLoginLimiter } from './sessions.ts';
import { addUser, UsersFileError, type UserStore } from './users.ts';

/** The parts of the state store (src/state) people need: where users, sessions and the audit trail are kept. */
export interface PeopleState {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly audit: AuditStore;
  /** For messages: the users file, or the database (password redacted). */
  readonly usersWhere: string;
}

export interface HttpAuthSetup {
  readonly users: UserStore;
  readonly authenticator: ReturnType<typeof createAuthenticator>;
  readonly sessions: SessionStore;
  readonly limiter: ReturnType<typeof createLoginLimiter>;
  readonly audit: AuditStore;
  /**
   * Set at a first start on loopback: creates the user `admin` and returns its API token, to print once.
   * Called in phase 2, once nothing can refuse the start any more, so a failed start never loses the token.
   */
  readonly createFirstAdmin?: () => Promise<string | undefined>;
}

type Result = { ok: true; value: HttpAuthSetup } | { ok: false; reason: string };

/**
 * Start-up check (phase 1) for people: the users file must be valid; off loopback, anonymous access or no
 * users at all refuses to start. On loopback with no users yet (the quick start) an `admin` user is created
 * with a generated API token, returned once for the console; only its hash is kept.
 */
export async function prepareHttpAuth(config: Config, state: PeopleState, log: Logger): Promise<Result> {
  const { users, sessions, audit } = state;
  const file = state.usersWhere;
  const loopback = isLoopbackHost(config.http.host);
  let existing: readonly unknown[];
  try {
    existing = await users.all();
  } catch (err) {
    return { ok: false, reason: `${(err as Error).message}. Fix or remove the file (users are then created anew).` };
  }
  if (!loopback && config.http.allowAnonymous)
    return {
      ok: false,
      reason: `http.allowAnonymous is set and HTTP binds to ${config.http.host}, which is not loopback: anyone who reaches it could close periods. Unset KZM_HTTP_ALLOW_ANONYMOUS or bind KZM_HTTP_HOST to 127.0.0.1.`,
    };
  if (!loopback && existing.length === 0)
    return {
      ok: false,
      reason: `HTTP binds to ${config.http.host} (not loopback) and no users exist in ${file}. Create one first: "kzmeter users add admin --role admin" (prints its API token once).`,
    };
  try {
    await audit.ensureKey();
  } catch (err) {
    if (err instanceof AuditKeyError) return { ok: false, reason: err.message };
    throw err;
  }
  const createFirstAdmin = async (): Promise<string | undefined> => {
    let token: string;
    try {
      ({ token } = await addUser(users, { name: 'admin', role: 'admin' }));
    } catch (err) {
      // Two instances on one state database starting at once: the other made "admin" first (and printed its token).
      if (err instanceof UsersFileError && /exists already/.test(err.message)) {
        log.warn({ file }, 'First start: user "admin" was made by another instance; no token printed here.');
        return undefined;
      }
      throw err;
    }
    await audit.append({ who: 'kzmeter (first start)', action: 'user-add', what: { name: 'admin', role: 'admin' } });
    log.warn({ file }, 'First start: user "admin" created; its API token is printed once on the console.');
    return token;
  };
  if (config.http.allowAnonymous)
    log.warn('HTTP anonymous access is on (http.allowAnonymous): local requests act as admin. For labs only.');
  return {
    ok: true,
    value: {
      users,
      sessions,
      authenticator: createAuthenticator(users, sessions),
      limiter: createLoginLimiter(),
      audit,
      ...(existing.length === 0 && !config.http.allowAnonymous && { createFirstAdmin }),
    },
  };
}
