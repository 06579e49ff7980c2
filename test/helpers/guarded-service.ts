import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Role } from '../../src/auth/roles.ts';
import { addUser, usersFilePath } from '../../src/auth/users.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { startInflux, type TestInflux } from './influx.ts';
import { startService } from './service.ts';

export interface GuardedService {
  readonly influx: TestInflux;
  readonly dataDir: string;
  readonly svc: Awaited<ReturnType<typeof startService>>;
  /** The API token of the user made before the start. */
  readonly token: string;
  /** A request with that token; a body is sent as JSON. */
  call(method: string, path: string, body?: unknown): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * The real service with people switched on (no anonymous access) on its own InfluxDB and data dir, and one user
 * (`anna`, accountant unless told) made before it starts.
 */
export async function startGuardedService(
  opts: { name?: string; role?: Role; overrides?: ConfigInput } = {},
): Promise<GuardedService> {
  const influx = await startInflux();
  const dataDir = mkdtempSync(join(tmpdir(), 'kzm-guarded-'));
  const { token } = await addUser(usersFilePath(dataDir), {
    name: opts.name ?? 'anna',
    role: opts.role ?? 'accountant',
  });
  const svc = await startService(await influx.database(), {
    ...opts.overrides,
    dataDir,
    http: { allowAnonymous: false, ...opts.overrides?.http },
  });
  return {
    influx,
    dataDir,
    svc,
    token,
    call: (method, path, body) =>
      fetch(`${svc.httpUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      }),
    async stop() {
      await svc.cleanup();
      await influx.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
