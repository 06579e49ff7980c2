/**
 * Close, reopen, list, export, late data and verify: the glue shared by the
 * HTTP routes and the CLI. Bad input comes back as { ok: false, status, reason }
 * (status = the HTTP status to answer with); store failures throw.
 */
import { readFileSync } from 'node:fs';
import {
  DEFAULT_POLICY,
  type Period,
  type QuarterPrice,
  type RoundingRule,
  type SubstitutionPolicy,
  type TariffSet,
  formatPeriod,
  parsePeriod,
} from '../fees/index.ts';
import { type PeriodListEntry, listPeriods } from './period-list.ts';
import type { Registry } from '../registry/types.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import { buildSnapshot, digestMatches, snapshotParties } from './build-snapshot.ts';
import { type ClosePreview, closePreview } from './close-preview.ts';
import { linesCsv, totalsCsv } from './export-csv.ts';
import { reportHtml } from './export-html.ts';
import { CATALOGUES } from '../i18n/catalogues.js';
import type { Lang } from '../i18n/lang.js';
import { UTF8_BOM } from '../ledger/csv.ts';
import { lateDataReport } from './late-data.ts';
import { type PeriodMeters, ledgerLines, periodMeters } from './period-ledger.ts';
import {
  type SnapshotScope,
  type SnapshotStore,
  SnapshotStoreError,
  createSnapshotStore,
  snapshotBytes,
} from './snapshot-store.ts';
import type { LateDataReport, PeriodSnapshot, VersionHistoryEntry } from './snapshot-types.ts';
import { type VerifyReport, compareLedgers } from './verify.ts';
import type { PeriodSeals, SealAmendment } from './period-seals.ts';
import type { Signature, Signer } from '../util/ed25519.ts';
import { lateReadingCounts } from '../store/query/raw-readings.ts';
import { type OnAltered, SNAPSHOT_ALTERED, alteredReason, readChecked } from './snapshot-integrity.ts';
import type { InvoiceService } from './invoice-service.ts';
import { type ReconciliationRow, outOfBandChecks, outOfBandItems } from './reconciliation.ts';
import { createReconciliation } from './reconciliation-service.ts';

/** A refusal: the HTTP status to answer with, the sentence, and a code where a client may act on it. */
export type PeriodFailure = { ok: false; status: number; reason: string; code?: string };
export type PeriodResult<T> = { ok: true; value: T } | PeriodFailure;
/** The code of a close refused for want of an acknowledgement (the CLI then names --acknowledge and the amount). */
export const NEEDS_ACKNOWLEDGEMENT = 'needs-acknowledgement';

const fail = (status: number, reason: string, code?: string): PeriodFailure => ({
  ok: false,
  status,
  reason,
  ...(code && { code }),
});

export interface PeriodServiceDeps {
  readonly registry: Registry;
  readonly tariffs: TariffSet;
  readonly target: InfluxTarget;
  readonly dataDir: string;
  /** Where closes are kept (the state store's); default: the files under dataDir. */
  readonly snapshots?: SnapshotStore;
  readonly now?: () => number;
  readonly policy?: SubstitutionPolicy;
  readonly prices?: readonly QuarterPrice[];
  /** Defaults to package.json's version. */
  readonly engineVersion?: string;
  /** Waits until the rollups hold every reading stored so far (the service's rollup flush). */
  readonly beforeRead?: () => Promise<boolean>;
  /** Operator override of the schedules' rounding of declared lines (recorded in the snapshot). */
  readonly roundingOverride?: RoundingRule;
  /** Told of every use refused because a snapshot was altered (the service counts and audits it). */
  readonly onAltered?: OnAltered;
  /** The audit trail's head, recorded in each new snapshot. */
  readonly auditHead?: () => Promise<{ seq: number; hash: string }>;
  /** The supplier's invoices (issue 24): the close preview shows the reconciliation and asks an acknowledgement
   * for a site-month out of its band. */
  readonly invoices?: InvoiceService;
  /** The daily seals (issue 24): a close checks its days against them; amendments are listed. */
  readonly seals?: PeriodSeals;
  /** Signs each new snapshot's bytes and every export's (issue 24). */
  readonly signer?: Signer;
}

/** A sealed day that does not verify is something the closer must acknowledge (issue 24). */
const sealNeed = (problem: string) => `sealed readings do not verify: ${problem}`;

/** A close's or reopen's reason and acknowledgement, at most (issue 21: a 900 KB reason was frozen). */
export const MAX_REASON_CHARS = 2000;
const tooLong = (what: string, text: string | null | undefined) =>
  (text?.length ?? 0) > MAX_REASON_CHARS ? fail(400, `${what}: at most ${MAX_REASON_CHARS} characters`) : undefined;

export type ExportFormat = 'csv' | 'totals.csv' | 'json' | 'html';
export const EXPORT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  'totals.csv': 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  html: 'text/html; charset=utf-8',
};

export type { PeriodListEntry };

export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
}

export function createPeriodService(deps: PeriodServiceDeps) {
  const store = deps.snapshots ?? createSnapshotStore(deps.dataDir);
  const now = deps.now ?? Date.now;
  const { target } = deps;
  const policy = deps.policy ?? DEFAULT_POLICY;
  const engineVersion = deps.engineVersion ?? packageVersion();
  const ledgerDeps = () => ({
    target,
    tariffs: deps.tariffs,
    policy,
    prices: deps.prices ?? deps.registry.prices,
    ...(deps.beforeRead && { beforeRead: deps.beforeRead }),
  });
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = queue.then(fn, fn);
    queue = p.catch(() => undefined);
    return p;
  };

  function resolve(
    periodText: string,
    taxpayer: string | undefined | null,
  ): PeriodResult<{ period: Period; scope: SnapshotScope; pm: PeriodMeters }> {
    const p = parsePeriod(periodText);
    if (!p.ok) return fail(400, p.reason);
    const bin = taxpayer ?? null;
    if (bin !== null && !/^\d{12}$/.test(bin)) return fail(400, `taxpayer must be a 12-digit BIN (got "${bin}")`);
    const pm = periodMeters(deps.registry, p.value, bin);
    if (!pm.ok) return fail(bin !== null && pm.reason.startsWith('unknown taxpayer') ? 404 : 400, pm.reason);
    return {
      ok: true,
      value: { period: p.value, scope: { period: formatPeriod(p.value), taxpayer: bin }, pm: pm.value },
    };
  }

  /** A period that can be closed: known, and over in every meter's zone. */
  function resolveEnded(periodText: string, taxpayer: string | undefined | null): ReturnType<typeof resolve> {
    const r = resolve(periodText, taxpayer);
    if (!r.ok || r.value.pm.toMs <= now()) return r;
    return fail(
      409,
      `period ${r.value.scope.period} is still in progress: it ends ${new Date(r.value.pm.toMs).toISOString()}; close it after that`,
    );
  }

  /** Every taxpayer's name for a close of all; for one taxpayer's close, only the names of its meters' taxpayers. */
  const namesOf = (bin: string | null, pm: PeriodMeters): Record<string, string> => {
    const bins = bin === null ? undefined : new Set(pm.meters.map((m) => m.facts.taxpayerBin));
    return Object.fromEntries(
      deps.registry.taxpayers.filter((t) => !bins || bins.has(t.bin)).map((t) => [t.bin, t.name]),
    );
  };

  const previewOf = (pm: PeriodMeters, lines: Parameters<typeof closePreview>[1]): ClosePreview =>
    closePreview(
      pm.meters.map((m) => m.facts.meterId),
      lines,
      deps.roundingOverride,
    );

  const reconciliation = deps.invoices
    ? createReconciliation({
        registry: deps.registry,
        invoices: deps.invoices,
        ledgerDeps,
        now,
        closedSnapshot: async (scope) => {
          const st = await state(scope);
          return st.latest && !st.reopened ? st.latest : undefined;
        },
      })
    : undefined;

  /** What a close would freeze beside the invoices: rows and the out-of-band items to acknowledge (none without
   * invoices for the scope: then the ledger is not computed a second time). */
  async function reconcileForClose(period: Period, scope: SnapshotScope): Promise<ReconciliationRow[]> {
    if (!reconciliation || !reconciliation.hasInvoices(period, scope.taxpayer)) return [];
    const r = await reconciliation.compute(scope.period, scope.taxpayer, { live: true });
    return r.ok ? r.value.rows : [];
  }

  async function state(scope: SnapshotScope): Promise<{ latest?: PeriodSnapshot; reopened: boolean }> {
    const latest = await store.read(scope);
    return {
      ...(latest && { latest }),
      reopened: latest !== undefined && (await store.reopenOf(scope, latest.version)) !== undefined,
    };
  }

  /** Refuse a use of an altered version: told to onAltered (counted, audited), answered 409 snapshot-altered. */
  function refuseAltered(scope: SnapshotScope, version: number, use: string, by?: string): PeriodFailure {
    deps.onAltered?.({ period: scope.period, taxpayer: scope.taxpayer, version, use, ...(by && { by }) });
    return fail(409, alteredReason(scope, version), SNAPSHOT_ALTERED);
  }

  /** A closed version; with `use`, its digest is checked first (every use but verify: issue 21 F6). */
  async function closed(
    periodText: string,
    taxpayer?: string | null,
    version?: number,
    use?: { use: string; by?: string },
  ): Promise<PeriodResult<{ snapshot: PeriodSnapshot; scope: SnapshotScope; pm: PeriodMeters }>> {
    const r = resolve(periodText, taxpayer);
    if (!r.ok) return r;
    let snapshot: PeriodSnapshot | undefined;
    if (use) {
      const c = await readChecked(store, r.value.scope, version);
      if (c.kind === 'altered') return refuseAltered(r.value.scope, c.version, use.use, use.by);
      snapshot = c.kind === 'ok' ? c.snapshot : undefined;
    } else snapshot = await store.read(r.value.scope, version);
    if (!snapshot)
      return fail(
        404,
        version === undefined
          ? `period ${r.value.scope.period}${taxpayer ? ` for taxpayer ${taxpayer}` : ''} is not closed`
          : `period ${r.value.scope.period} has no version ${version} (versions: ${(await store.versions(r.value.scope)).join(', ') || 'none'})`,
      );
    return { ok: true, value: { snapshot, scope: r.value.scope, pm: r.value.pm } };
  }

  async function lateData(
    periodText: string,
    taxpayer?: string | null,
    by?: string,
  ): Promise<PeriodResult<LateDataReport>> {
    const c = await closed(periodText, taxpayer, undefined, { use: 'late-data', ...(by && { by }) });
    if (!c.ok) return c;
    const report = await lateDataReport(ledgerDeps(), c.value.snapshot, c.value.pm);
    return { ok: true, value: { ...report, amendments: deps.seals?.amendments(c.value.pm) ?? [] } };
  }

  async function exportBody(
    periodText: string,
    format: ExportFormat,
    opts: { taxpayer?: string | null; version?: number; by?: string; lang?: Lang; bom?: boolean } = {},
  ): Promise<PeriodResult<{ contentType: string; body: string; snapshot: PeriodSnapshot }>> {
    const lang = opts.lang ?? 'en';
    // Column names for people in ru and kk; en keeps the documented machine names (docs/accountant.md).
    const headers = CATALOGUES[lang].csv.headers;
    // Excel reads a UTF-8 CSV as the system code page unless it starts with a BOM: on by default for the
    // Cyrillic headers, off for the machine ones (scripts read those), ?bom= decides otherwise.
    const bom = (opts.bom ?? lang !== 'en') ? UTF8_BOM : '';
    const use = `export.${format}`;
    const c = await closed(periodText, opts.taxpayer, opts.version, { use, ...(opts.by && { by: opts.by }) });
    if (!c.ok) return c;
    const s = c.value.snapshot;
    if (format === 'json')
      return {
        ok: true,
        value: {
          contentType: EXPORT_TYPES.json,
          // The checked snapshot's canonical bytes (what the file holds when intact), not a second read of
          // the file that could have changed since the check.
          body: snapshotBytes(s),
          snapshot: s,
        },
      };
    if (format === 'csv')
      return { ok: true, value: { contentType: EXPORT_TYPES.csv, body: bom + linesCsv(s, headers), snapshot: s } };
    const late = await lateDataReport(ledgerDeps(), s, c.value.pm);
    const lateOrNone = late.lateReadings > 0 ? late : undefined;
    const body = format === 'html' ? reportHtml(s, lateOrNone, lang) : bom + totalsCsv(s, lateOrNone, headers);
    return { ok: true, value: { contentType: EXPORT_TYPES[format], body, snapshot: s } };
  }

  return {
    store,
    /** The supplier's invoices against the ledger (a closed period: its snapshot); absent without invoices. */
    async reconciliation(periodText: string, taxpayer: string | null) {
      if (!reconciliation) return fail(404, 'invoices are not configured');
      const r = await reconciliation.compute(periodText, taxpayer);
      return r.ok ? r : fail(r.reason.startsWith('unknown taxpayer') ? 404 : 400, r.reason);
    },
    /** What closing would freeze, and what the closer must acknowledge; nothing is written. */
    async preview(
      periodText: string,
      taxpayer?: string | null,
    ): Promise<
      PeriodResult<
        ClosePreview & {
          period: string;
          taxpayer: string | null;
          closedVersion: number | null;
          taxpayerNames: Record<string, string>;
          reconciliation: ReconciliationRow[];
          sealedDays: number;
          amendments: SealAmendment[];
        }
      >
    > {
      const r = resolveEnded(periodText, taxpayer);
      if (!r.ok) return r;
      const s = await state(r.value.scope);
      const lines = await ledgerLines(ledgerDeps(), r.value.pm.meters);
      const preview = previewOf(r.value.pm, lines);
      const rec = await reconcileForClose(r.value.period, r.value.scope);
      const sealed = await deps.seals?.check(r.value.pm);
      return {
        ok: true,
        value: {
          period: r.value.scope.period,
          taxpayer: r.value.scope.taxpayer,
          closedVersion: s.latest && !s.reopened ? s.latest.version : null,
          ...preview,
          needsAcknowledgement: [
            ...preview.needsAcknowledgement,
            ...outOfBandItems(rec),
            ...(sealed?.problems ?? []).map(sealNeed),
          ],
          // The same as data, worded by the dashboard and the CLI in the reader's language.
          checks: [
            ...preview.checks,
            ...outOfBandChecks(rec),
            ...(sealed?.problems ?? []).map((problem) => ({ kind: 'seal' as const, problem })),
          ],
          sealedDays: sealed?.sealedDays ?? 0,
          amendments: sealed?.amendments ?? [],
          taxpayerNames: namesOf(r.value.scope.taxpayer, r.value.pm),
          reconciliation: rec,
        },
      };
    },

    async close(req: {
      period: string;
      taxpayer?: string | null;
      closedBy: string;
      reason?: string | null;
      /** Why the period is closed although the preview asked for an acknowledgement. */
      acknowledgement?: string | null;
    }): Promise<PeriodResult<{ snapshot: PeriodSnapshot; created: boolean }>> {
      const long = tooLong('reason', req.reason) ?? tooLong('acknowledgement', req.acknowledgement);
      if (long) return long;
      const r = resolveEnded(req.period, req.taxpayer);
      if (!r.ok) return r;
      const { period, scope, pm } = r.value;
      return serial(async () => {
        const s = await state(scope);
        // The latest version is answered (already closed) or copied into the history: only when it is intact.
        if (s.latest && (await readChecked(store, scope, s.latest.version)).kind !== 'ok')
          return refuseAltered(scope, s.latest.version, 'close', req.closedBy);
        if (s.latest && !s.reopened) return { ok: true as const, value: { snapshot: s.latest, created: false } };
        const previousVersions: VersionHistoryEntry[] = s.latest
          ? [...s.latest.previousVersions, historyEntry(s.latest, (await store.reopenOf(scope, s.latest.version))!)]
          : [];
        const lines = await ledgerLines(ledgerDeps(), pm.meters);
        const sealed = await deps.seals?.check(pm);
        const needs = [
          ...previewOf(pm, lines).needsAcknowledgement,
          ...outOfBandItems(await reconcileForClose(period, scope)),
          ...(sealed?.problems ?? []).map(sealNeed),
        ];
        const ack = req.acknowledgement?.trim();
        if (needs.length > 0 && !ack)
          return fail(
            409,
            `closing ${scope.period} needs an acknowledgement with a reason: ${needs.join('; ')}`,
            NEEDS_ACKNOWLEDGEMENT,
          );
        const snapshot = buildSnapshot({
          period,
          taxpayerScope: scope.taxpayer,
          lines,
          version: (s.latest?.version ?? 0) + 1,
          closedBy: req.closedBy,
          closedAtMs: now(),
          reason: req.reason ?? null,
          ...(needs.length > 0 && ack && { acknowledgement: { by: req.closedBy, reason: ack, items: [...needs] } }),
          ...(deps.auditHead && { auditHead: await deps.auditHead() }),
          previousVersions,
          registryVersion: deps.registry.version,
          tariffs: deps.tariffs,
          policy,
          engineVersion,
          ...(deps.roundingOverride && { roundingOverride: deps.roundingOverride }),
          ...snapshotParties(
            deps.registry,
            pm.meters.map((m) => m.facts),
          ),
        });
        try {
          await store.write(snapshot);
        } catch (err) {
          // Another instance closed this version first (issue 25: one PostgreSQL, two instances): answered as a
          // repeated close is, with the version that was made.
          if (!(err instanceof SnapshotStoreError) || err.code !== 'version-exists') throw err;
          const now = await state(scope);
          if (now.latest && !now.reopened)
            return { ok: true as const, value: { snapshot: now.latest, created: false } };
          throw err;
        }
        if (deps.signer) await store.writeSignature(scope, snapshot.version, deps.signer.sign(snapshotBytes(snapshot)));
        return { ok: true as const, value: { snapshot, created: true } };
      });
    },

    async reopen(req: {
      period: string;
      taxpayer?: string | null;
      reopenedBy: string;
      reason?: string | null;
    }): Promise<PeriodResult<{ reopenedVersion: number }>> {
      if (!req.reason || !req.reason.trim()) return fail(400, 'a reason is required to reopen a closed period');
      const long = tooLong('reason', req.reason);
      if (long) return long;
      return serial(async () => {
        const c = await closed(req.period, req.taxpayer, undefined, { use: 'reopen', by: req.reopenedBy });
        if (!c.ok) return c;
        const { snapshot, scope } = c.value;
        if (await store.reopenOf(scope, snapshot.version))
          return fail(
            409,
            `period ${scope.period} v${snapshot.version} is already reopened; close it again to make v${snapshot.version + 1}`,
          );
        const t = now();
        await store.writeReopen(scope, {
          version: snapshot.version,
          reopenedAt: new Date(t).toISOString(),
          reopenedAtMs: t,
          reopenedBy: req.reopenedBy,
          reason: req.reason!.trim(),
        });
        return { ok: true as const, value: { reopenedVersion: snapshot.version } };
      });
    },

    lateData,

    async export(
      periodText: string,
      format: ExportFormat,
      opts: { taxpayer?: string | null; version?: number; by?: string; lang?: Lang; bom?: boolean } = {},
    ): Promise<PeriodResult<{ contentType: string; body: string; snapshot: PeriodSnapshot; signature?: Signature }>> {
      const r = await exportBody(periodText, format, opts);
      if (!r.ok || !deps.signer) return r;
      return { ok: true, value: { ...r.value, signature: deps.signer.sign(r.value.body) } };
    },

    async list(): Promise<PeriodListEntry[]> {
      return listPeriods({
        nowMs: now(),
        registry: deps.registry,
        tariffs: deps.tariffs,
        scopes: await store.scopes(),
        state,
        lateCount: (pm, closedAtMs) => lateDataCount(target, pm, closedAtMs),
        reopenedBy: async (scope, version) => (await store.reopenOf(scope, version))?.reopenedBy,
      });
    },

    async verify(
      periodText: string,
      opts: { taxpayer?: string | null; version?: number } = {},
    ): Promise<PeriodResult<VerifyReport>> {
      const c = await closed(periodText, opts.taxpayer, opts.version);
      if (!c.ok) return c;
      const lines = await ledgerLines(ledgerDeps(), c.value.pm.meters);
      return { ok: true, value: compareLedgers(c.value.snapshot, digestMatches(c.value.snapshot), lines) };
    },
  };
}

async function lateDataCount(target: InfluxTarget, pm: PeriodMeters, closedAtMs: number): Promise<number> {
  let n = 0;
  for (const v of (await lateReadingCounts(target, pm, closedAtMs)).values()) n += v;
  return n;
}

function historyEntry(
  s: PeriodSnapshot,
  reopen: { reopenedAt: string; reopenedBy: string; reason: string },
): VersionHistoryEntry {
  return {
    version: s.version,
    digest: s.digest,
    closedAt: s.closedAt,
    closedBy: s.closedBy,
    reopenedAt: reopen.reopenedAt,
    reopenedBy: reopen.reopenedBy,
    reopenReason: reopen.reason,
  };
}

export type PeriodService = ReturnType<typeof createPeriodService>;
