import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { IngestMetrics } from '../ingest/metrics.ts';
import type { LiveState } from '../live/live-state.ts';
import type { Registry } from '../registry/types.ts';
import type { InfluxTarget } from '../store/influx-target.ts';

/** What every component of the service is built from (phase 1 has proved the config, InfluxDB and the files). */
export interface ServiceContext {
  readonly config: Config;
  readonly registry: Registry;
  readonly log: Logger;
  readonly metrics: IngestMetrics;
  readonly live: LiveState;
  readonly target: InfluxTarget;
  /** Resolves when the service's stop begins (a pass waiting for the spool's replay gives up then). */
  readonly stopping: Promise<void>;
}
