/**
 * The service's state behind one interface (issue 25): users, dashboard sessions, period snapshots and the audit
 * trail, plus the daily seals and the supplier's invoices. Two implementations: files under the data dir (the
 * embedded default, one instance: src/state/file-state.ts) and PostgreSQL (`state.url`, shared by every instance
 * behind one address: src/state/pg/). Each part keeps its own interface where it is used (auth/, periods/, seal/);
 * this file only gathers them.
 */
import type { AuditStore } from '../auth/audit-chain.ts';
import type { PeopleState } from '../auth/http-setup.ts';
import type { SessionStore } from '../auth/session-store.ts';
import type { UserStore } from '../auth/users.ts';
import type { InvoiceStore } from '../periods/invoice-store.ts';
import type { SnapshotStore } from '../periods/snapshot-store.ts';
import type { SealStore } from '../seal/seal-store.ts';
import type { ArchiveFile } from './backup-archive.ts';

/** A state database's part of a backup archive (issue 25): its rows as the files the file store would hold. */
export interface StateArchive {
  /** The archive paths the database takes (users.json, audit.log, the period snapshots). */
  holds(path: string): boolean;
  isEmpty(): Promise<boolean>;
  /** One moment's rows as files. */
  dump(): Promise<ArchiveFile[]>;
  /** Loads the files it holds into the empty database, in one transaction; returns how many it took. */
  load(files: ReadonlyMap<string, Uint8Array>): Promise<number>;
}

export interface StateStore extends PeopleState {
  readonly kind: 'files' | 'postgres';
  /** For messages and logs: the data dir, or the PostgreSQL URL with its password redacted. */
  readonly where: string;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly snapshots: SnapshotStore;
  readonly audit: AuditStore;
  /**
   * The daily seals and the invoices stay files under each instance's data dir in both modes (not yet in
   * PostgreSQL: docs/deploy.md "Two instances" says what that means).
   */
  readonly seals: SealStore;
  readonly invoices: InvoiceStore;
  /** The database's side of `kzmeter backup` and `restore`; absent for files (the data dir is the whole state). */
  readonly archive?: StateArchive;
  /** Releases connections (a no-op for files). */
  close(): Promise<void>;
}
