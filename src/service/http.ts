/** The HTTP side of the service as a component: the period service, the routes, the app and its listener. */
import type { FastifyInstance } from 'fastify';
import type { HttpAuthSetup } from '../auth/http-setup.ts';
import type { EmbeddedBroker } from '../broker/embedded.ts';
import type { ExternalSubscriber } from '../broker/external-subscriber.ts';
import { feeSettings } from '../config/fee-settings.ts';
import type { TariffSet } from '../fees/index.ts';
import { buildApp } from '../http/app.ts';
import { dashboardRoutes } from '../http/dashboard/index.ts';
import { ledgerRoutes } from '../http/routes/ledger.ts';
import { periodRoutes } from '../http/routes/periods.ts';
import { invoiceRoutes } from '../http/routes/invoices.ts';
import { createInvoiceService } from '../periods/invoice-service.ts';
import { createPeriodService } from '../periods/period-service.ts';
import { createPeriodSeals } from '../periods/period-seals.ts';
import { createEvidence } from '../periods/evidence-service.ts';
import type { ExtraEvidenceFiles } from '../periods/evidence.ts';
import { reconciliationEvidence } from '../periods/reconciliation-evidence.ts';
import type { StateStore } from '../state/state-store.ts';
import type { Sealing } from '../seal/index.ts';
import { listSigningKeys } from '../auth/signing-keys.ts';
import { signingKeyOptions } from '../seal/index.ts';
import { signingKeyRoutes } from '../http/routes/signing-key.ts';
import { createAlteredAlarm } from '../periods/snapshot-integrity.ts';
import type { Rollups } from '../rollup/index.ts';
import type { BatchWriter } from '../store/batch-writer.ts';
import type { Spool } from '../store/spool.ts';
import type { Component } from '../util/lifecycle.ts';
import type { ServiceContext } from './context.ts';

export type Plugins = Parameters<typeof buildApp>[0]['plugins'];

export interface HttpDeps {
  readonly tariffs: TariffSet;
  readonly people: HttpAuthSetup;
  readonly state: StateStore;
  readonly writer: BatchWriter;
  readonly spool: Spool | undefined;
  readonly rollups: Rollups;
  readonly broker: EmbeddedBroker | undefined;
  readonly subscriber: ExternalSubscriber | undefined;
  readonly plugins: Plugins;
  /** The daily seals: a close checks its days against them (issue 24). */
  readonly sealing?: Sealing;
  /** More files for every evidence package (the lead wires the supplier's reconciliation here). */
  readonly extraEvidenceFiles?: ExtraEvidenceFiles;
}

export interface HttpPart {
  readonly component: Component;
  /** The app, once started. */
  app(): FastifyInstance;
  /** http://host:port, once listening. */
  url(): string;
}

export function httpPart(ctx: ServiceContext, deps: HttpDeps): HttpPart {
  const { config, registry, target, live, metrics, log } = ctx;
  const { tariffs, people, rollups } = deps;
  let app: FastifyInstance | undefined;
  let url = '';

  async function start(): Promise<void> {
    const beforeRead = () => rollups.flush(30_000);
    const fees = feeSettings(config);
    const onAltered = createAlteredAlarm({
      metrics: metrics.registry,
      audit: people.audit,
      log: log.child({ component: 'periods' }),
    });
    const invoices = createInvoiceService({
      registry,
      store: deps.state.invoices,
      // Not awaited by the import: the files are the record, the points only Grafana's copy; the writer retries
      // for as long as InfluxDB is away and never rejects, and the start-up sync rewrites them anyway.
      writeLines: (lines) => {
        void deps.writer.write(lines);
        return Promise.resolve();
      },
      audit: (e) => people.audit.append({ action: 'invoice-import', ...e }),
    });
    // Grafana reads the invoices in force from InfluxDB: written at start too (idempotent), so figures imported
    // from the command line while the service was down are there.
    void invoices.syncToInflux().catch((err: unknown) => log.warn({ err }, 'Invoices not written to InfluxDB.'));
    const periodSeals = deps.sealing && createPeriodSeals({ registry, target, sealing: deps.sealing });
    const periods = createPeriodService({
      registry,
      tariffs,
      target,
      dataDir: config.dataDir,
      snapshots: deps.state.snapshots,
      beforeRead,
      onAltered,
      auditHead: () => people.audit.head(),
      invoices,
      ...(periodSeals && { seals: periodSeals }),
      ...(deps.sealing && { signer: deps.sealing.signer }),
      ...fees,
    });
    const plugins = [
      ledgerRoutes({
        registry,
        tariffs,
        target,
        beforeRead,
        rollupChanges: rollups.changes,
        metrics: metrics.registry,
        ...fees,
      }),
      periodRoutes({
        periods,
        defaultLang: config.http.defaultLang,
        ...(deps.sealing && {
          evidence: createEvidence({
            periods,
            registry,
            ...(periodSeals && { seals: periodSeals }),
            signer: deps.sealing.signer,
            publicKeys: () => listSigningKeys(signingKeyOptions(config)),
            auditLines: () => deps.state.audit.lines(),
            // The supplier's reconciliation of the period (when invoices were imported), unless a test hands in its own.
            extraFiles: deps.extraEvidenceFiles ?? reconciliationEvidence((p, t) => periods.reconciliation(p, t)),
          }),
        }),
      }),
      // Read at each request: a rotation from the command line shows without a restart.
      signingKeyRoutes({ keys: () => listSigningKeys(signingKeyOptions(config)) }),
      invoiceRoutes({ registry, invoices, periods }),
      dashboardRoutes({
        registry,
        tariffs,
        target,
        beforeRead,
        rollupChanges: rollups.changes,
        ...fees,
        live,
        defaultLang: config.http.defaultLang,
      }),
      ...(deps.plugins ?? []),
    ];
    const health = {
      influx: target,
      writer: deps.writer,
      broker: () => deps.broker?.health() ?? deps.subscriber!.health(),
      ...(deps.spool && { spool: deps.spool.state }),
    };
    const auth = {
      ...people,
      registry,
      allowAnonymous: config.http.allowAnonymous,
      defaultLang: config.http.defaultLang,
    };
    const origin = { listenHost: config.http.host, publicOrigin: config.http.publicOrigin };
    app = await buildApp({ registry, live, metrics, health, log, plugins, auth, origin });
    await app.listen({ host: config.http.host, port: config.http.port });
    const addr = app.server.address();
    url = `http://${config.http.host}:${addr && typeof addr === 'object' ? addr.port : config.http.port}`;
  }

  return {
    component: {
      name: 'http',
      start,
      stop: async () => void (await app?.close()),
      stopTimeoutMs: () => 10_000,
    },
    app: () => app!,
    url: () => url,
  };
}
