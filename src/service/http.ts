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
import { createPeriodService } from '../periods/period-service.ts';
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
  readonly writer: BatchWriter;
  readonly spool: Spool | undefined;
  readonly rollups: Rollups;
  readonly broker: EmbeddedBroker | undefined;
  readonly subscriber: ExternalSubscriber | undefined;
  readonly plugins: Plugins;
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
    const periods = createPeriodService({
      registry,
      tariffs,
      target,
      dataDir: config.dataDir,
      beforeRead,
      onAltered,
      auditHead: () => people.audit.head(),
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
      periodRoutes({ periods, defaultLang: config.http.defaultLang }),
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
