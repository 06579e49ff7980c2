/**
 * The Node-RED reference of `npm run bench drain` (issue 27): the flow people build instead of a service, as
 * Node-RED's own JSON, and a settings file that runs it headless. Node-RED 4.1.8 with node-red-contrib-influxdb
 * 0.7.0 (bench/node-red.ts installs them on demand):
 *   mqtt in (persistent session: clean false, a fixed client id, QoS 1 on meters/#, as the other consumers;
 *            autoUnsubscribe false, else Node-RED drops the subscription on stop and nothing is queued)
 *   -> join (custom: an array of the complete messages, 1,000 at a time, or what arrived in 1 s: the topic
 *            names the meter, so whole messages are joined, not payloads)
 *   -> function (the minimal ingester's check and point: measurement reading, tag meter, field wh = kwh x 1,000)
 *   -> influxdb batch (InfluxDB v1 API, precision ms, the bench's database).
 * Node-RED acknowledges each message on receipt (mqtt.js' default), not after the write.
 */

export interface NodeRedFlowOptions {
  broker: { host: string; port: number };
  clientId: string;
  influx: { host: string; port: number; database: string };
  /** Messages a join hands to the function node (issue 27: 1,000). */
  joinCount?: number;
}

/**
 * The function node's body (Node-RED runs it as `function (msg) {...}`): the joined messages to points, with
 * the minimal ingester's check (bench/drain-consumer.mts); anything else is dropped. node-influx writes a
 * number field without a schema as a float, so wh is a float here (the minimal ingester writes an integer).
 */
export const TO_POINTS_FUNCTION = `const points = [];
for (const m of msg.payload) {
  const t = /^meters\\/([^/]+)\\/reading$/.exec(m.topic);
  const r = m.payload;
  if (t && r && typeof r.ts === 'number' && typeof r.kwh === 'number' && Number.isFinite(r.kwh) && r.kwh >= 0)
    points.push({ measurement: 'reading', tags: { meter: t[1] }, fields: { wh: Math.round(r.kwh * 1000) }, timestamp: r.ts });
}
return points.length > 0 ? { payload: points } : null;`;

type FlowNode = Record<string, unknown> & { id: string; type: string };

/** flows.json of the batch flow: a tab, the two config nodes, and mqtt in -> join -> function -> influx batch. */
export function nodeRedFlow(o: NodeRedFlowOptions): FlowNode[] {
  const tab = 'kzm-bench-tab';
  const id = { broker: 'kzm-bench-broker', influx: 'kzm-bench-influx', join: 'kzm-bench-join' };
  const ids = { ...id, in: 'kzm-bench-in', fn: 'kzm-bench-fn', out: 'kzm-bench-out' };
  return [
    { id: tab, type: 'tab', label: 'kzmeter drain bench', disabled: false },
    {
      id: ids.broker,
      type: 'mqtt-broker',
      name: 'bench broker',
      broker: o.broker.host,
      port: String(o.broker.port),
      clientid: o.clientId,
      autoConnect: true,
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: false,
      autoUnsubscribe: false,
      birthTopic: '',
      closeTopic: '',
      willTopic: '',
    },
    {
      id: ids.influx,
      type: 'influxdb',
      hostname: o.influx.host,
      port: String(o.influx.port),
      protocol: 'http',
      database: o.influx.database,
      name: 'bench influxd',
      usetls: false,
      influxdbVersion: '1.x',
    },
    {
      id: ids.in,
      type: 'mqtt in',
      z: tab,
      name: 'readings',
      topic: 'meters/#',
      qos: '1',
      datatype: 'json',
      broker: ids.broker,
      nl: false,
      rap: true,
      rh: 0,
      inputs: 0,
      wires: [[ids.join]],
    },
    {
      id: ids.join,
      type: 'join',
      z: tab,
      name: 'batch',
      mode: 'custom',
      build: 'array',
      property: '',
      propertyType: 'full',
      key: 'topic',
      joiner: '\\n',
      joinerType: 'str',
      useparts: false,
      accumulate: false,
      timeout: '1',
      count: String(o.joinCount ?? 1000),
      reduceRight: false,
      wires: [[ids.fn]],
    },
    {
      id: ids.fn,
      type: 'function',
      z: tab,
      name: 'to points',
      func: TO_POINTS_FUNCTION,
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      wires: [[ids.out]],
    },
    {
      id: ids.out,
      type: 'influxdb batch',
      z: tab,
      influxdb: ids.influx,
      precision: 'ms',
      retentionPolicy: '',
      name: 'write',
      wires: [],
    },
  ];
}

/**
 * settings.js for a headless run: no editor and no HTTP nodes (httpAdminRoot and httpNodeRoot false), no
 * credential secret (the flow has no credentials; without it Node-RED would generate one and warn), no
 * telemetry or diagnostics, palette and module installs off; the log at info on the console, where the bench
 * reads "Connected to broker" as its start point. Node-RED finds the influxdb nodes beside itself in node_modules.
 */
export function nodeRedSettings(o: { userDir: string; uiPort: number }): string {
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: o.uiPort,
    userDir: o.userDir,
    flowFile: 'flows.json',
    flowFilePretty: false,
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    disableEditor: true,
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    runtimeState: { enabled: false, ui: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
    functionExternalModules: false,
    logging: { console: { level: 'info', metrics: false, audit: false } },
  };
  return `module.exports = ${JSON.stringify(settings, null, 2)};\n`;
}
