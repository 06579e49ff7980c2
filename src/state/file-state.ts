/**
 * The embedded state store: files under the data dir, the layout kzmeter always had (users.json, audit.log, the
 * period folders, seals/, invoices/), plus `<dataDir>/auth/sessions.json` (issue 25: session-id hashes, so a
 * restart logs nobody out). One instance; two instances share PostgreSQL instead.
 */
import { join } from 'node:path';
import { auditLogPath, createAuditLog } from '../auth/audit-log.ts';
import { createSessions } from '../auth/session-store.ts';
import { createUserStore, usersFilePath } from '../auth/users.ts';
import type { Signer } from '../util/ed25519.ts';
import { createFileInvoiceStore } from '../periods/invoice-store.ts';
import { createSnapshotStore } from '../periods/snapshot-store.ts';
import { createFileSealStore } from '../seal/seal-store.ts';
import type { StateStore } from './state-store.ts';

export const sessionsFilePath = (dataDir: string): string => join(dataDir, 'auth', 'sessions.json');

export interface FileStateOptions {
  readonly dataDir: string;
  readonly auditKeyFile?: string | undefined;
  readonly signer?: Signer | undefined;
  /** A users or sessions file that became invalid while running (the previous content stays in use). */
  readonly onError?: (err: Error) => void;
}

export function createFileStateStore(opts: FileStateOptions): StateStore {
  const { dataDir } = opts;
  return {
    kind: 'files',
    where: dataDir,
    usersWhere: usersFilePath(dataDir),
    users: createUserStore(usersFilePath(dataDir), opts.onError),
    sessions: createSessions({ file: sessionsFilePath(dataDir), ...(opts.onError && { onError: opts.onError }) }),
    snapshots: createSnapshotStore(dataDir),
    audit: createAuditLog(auditLogPath(dataDir), { keyFile: opts.auditKeyFile, signer: opts.signer }),
    seals: createFileSealStore(dataDir),
    invoices: createFileInvoiceStore(dataDir),
    close: async () => undefined,
  };
}
