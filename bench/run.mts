import { benchIngest } from './ingest.ts';
import { saveResult } from './lib.ts';

/** `npm run bench`: every benchmark, each reported as a ratio to a limit measured in the same run. */
const only = process.argv[2];
const all: Record<string, unknown> = { at: new Date().toISOString(), node: process.version };
if (!only || only === 'ingest') {
  console.error('ingest: raw broker limit vs service end to end ...');
  all.ingest = await benchIngest(Number(process.env.BENCH_READINGS ?? 100_000));
  console.log(JSON.stringify(all.ingest, null, 2));
}
// Issue 27: `ingest` prints the drain's figures and ratios too; `drain` runs them alone.
if (!only || only === 'drain' || only === 'ingest') {
  const { benchDrain } = await import('./drain.ts');
  console.error(
    'drain: CPU per reading draining a mosquitto backlog (bare subscriber, minimal ingester, kzmeter, Node-RED), ' +
      'then through an embedded broker (aedes + minimal ingester, kzmeter) ...',
  );
  all.drain = await benchDrain();
  console.log(JSON.stringify(all.drain, null, 2));
}
if (!only || only === 'decode') {
  const { benchDecode } = await import('./decode.ts');
  console.error('decode: payloads/s per format, mapped vs our JSON end to end ...');
  all.decode = await benchDecode(
    Number(process.env.BENCH_DECODE ?? 200_000),
    Number(process.env.BENCH_READINGS ?? 30_000),
  );
  console.log(JSON.stringify(all.decode, null, 2));
}
if (!only || only === 'ledger') {
  const mod = (await import('./ledger.ts').catch(() => undefined)) as
    { benchLedger?: () => Promise<unknown> } | undefined;
  if (mod?.benchLedger) {
    console.error('ledger: pure core vs store path ...');
    all.ledger = await mod.benchLedger();
    console.log(JSON.stringify(all.ledger, null, 2));
  }
}
if (!only || only === 'spool') {
  const { benchSpool } = await import('./spool.ts');
  console.error('spool: service with ingest.spool off vs on (throughput, ack latency, peak RSS) ...');
  all.spool = await benchSpool(Number(process.env.BENCH_READINGS ?? 100_000));
  console.log(JSON.stringify(all.spool, null, 2));
}
if (!only || only === 'mqtt-auth') {
  const { benchMqttAuth } = await import('./mqtt-auth.ts');
  console.error('mqtt-auth: 1,000-meter connection storm; ingest with authentication off vs on ...');
  all.mqttAuth = await benchMqttAuth(Number(process.env.BENCH_AUTH_READINGS ?? 50_000));
  console.log(JSON.stringify(all.mqttAuth, null, 2));
}
if (!only || only === 'latency') {
  const { benchLatency } = await import('./latency.ts');
  console.error(
    'latency: publish -> stored and service RSS at half the maximum rate, embedded broker and mosquitto ...',
  );
  all.latency = await benchLatency();
  console.log(JSON.stringify(all.latency, null, 2));
}
if (!only || only === 'backfill') {
  const { benchBackfill } = await import('./backfill.ts');
  console.error('backfill: 1,000 meters publish their last 6 hours as batches; service RSS ...');
  all.backfill = await benchBackfill();
  console.log(JSON.stringify(all.backfill, null, 2));
}
if (!only || only === 'seal') {
  const { benchSeal } = await import('./seal.ts');
  const meters = Number(process.env.BENCH_SEAL_METERS ?? 1000);
  const days = Number(process.env.BENCH_SEAL_DAYS ?? 30);
  console.error(
    `seal: seal a day of ${meters} meters at 1-minute readings, verify ${days} days (readings/s, peak RSS) ...`,
  );
  all.seal = await benchSeal(meters, days);
  console.log(JSON.stringify(all.seal, null, 2));
}
// Only when asked for by name: at full size it writes 130 M points first (bench/restart.ts).
if (only === 'restart') {
  const { benchRestart } = await import('./restart.ts');
  console.error(
    'restart: a quarter of history in InfluxDB; a first start, then a restart: /health, ledger, queries, CPU ...',
  );
  all.restart = await benchRestart();
  console.log(JSON.stringify(all.restart, null, 2));
}
console.log(`results: ${saveResult('bench', all)}`);
process.exit(0);
