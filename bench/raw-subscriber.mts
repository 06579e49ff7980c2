/**
 * The raw limit of `npm run bench ingest`, as its own process like the service it is compared with:
 *   raw-subscriber.mts sub <brokerUrl> <n>   a plain mqtt.js QoS 1 subscriber on meters/#
 *   raw-subscriber.mts aedes <n>             an aedes broker (no hooks) with that subscriber in the same process,
 *                                            as the service hosts its embedded broker
 * Prints one JSON line {"url"} when subscribed, then {"seconds"} (first to n-th message) when n have arrived.
 */
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';

const [mode, a, b] = process.argv.slice(2);
let url = a!;
const n = Number(mode === 'aedes' ? a : b);
if (mode === 'aedes') {
  const aedes = await Aedes.createBroker();
  const srv = createServer(aedes.handle);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  url = `mqtt://127.0.0.1:${(srv.address() as { port: number }).port}`;
}
const sub = await mqtt.connectAsync(url, { clientId: `bench-raw-sub-${process.pid}`, clean: true });
await sub.subscribeAsync('meters/#', { qos: 1 });
let got = 0;
let started = 0;
sub.on('message', () => {
  if (got++ === 0) started = performance.now();
  if (got === n) {
    console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000 }));
    setTimeout(() => process.exit(0), 100);
  }
});
console.log(JSON.stringify({ url }));
