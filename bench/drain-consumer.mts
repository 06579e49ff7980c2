/**
 * The references of `npm run bench drain` (issue 27), each its own process like the service:
 *   drain-consumer.mts bare <brokerUrl> <clientId> <n>
 *       a plain mqtt.js QoS 1 subscriber on a persistent session; stores nothing, acknowledges on receipt
 *   drain-consumer.mts minimal <brokerUrl> <clientId> <n> <influxUrl> <db>
 *       a minimal correct ingester: JSON.parse, a tiny check, line protocol in batches of 5,000 (or 20 ms)
 *       over keep-alive HTTP, and every PUBACK held until its batch is written
 * Prints {"ready":true} once subscribed, then {"done":true} after n messages (bare) or n stored (minimal).
 * With n = 0 it only starts and subscribes (the persistent session, and the idle start-up's CPU).
 */
import mqtt from 'mqtt';

const [mode, url, clientId, nText, influxUrl, db] = process.argv.slice(2);
const n = Number(nText);
// Handlers go on before the connection: a resumed session's queued messages follow the CONNACK at once.
const client = mqtt.connect(url!, { clientId, clean: false, protocolVersion: 4, reconnectPeriod: 0 });
let handled = 0;
const finish = () => {
  console.log(JSON.stringify({ done: true }));
  setTimeout(() => process.exit(0), 50);
};

if (mode === 'minimal') {
  type Send = (p: { cmd: string }, cb?: (e?: Error) => void) => void;
  const raw = client as unknown as { _sendPacket: Send };
  const send = raw._sendPacket.bind(client);
  let lines: string[] = [];
  let acks: { cmd: string }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing = Promise.resolve();
  // PUBACKs wait for their batch; mqtt.js goes on to the next message at once.
  raw._sendPacket = (p, cb) => {
    if (p.cmd !== 'puback') return send(p, cb);
    acks.push(p);
    cb?.();
  };
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const [body, held] = [lines.join('\n'), acks];
    [lines, acks] = [[], []];
    writing = writing.then(async () => {
      for (;;) {
        const res = await fetch(`${influxUrl}/write?db=${db}&precision=ms`, { method: 'POST', body }).catch(
          () => undefined,
        );
        if (res?.status === 204) break;
        await new Promise((r) => setTimeout(r, 500)); // not stored: keep the PUBACKs, try again
      }
      for (const p of held) send(p);
      handled += held.length;
      if (handled === n) finish();
    });
  };
  client.handleMessage = (packet, done) => {
    const m = /^meters\/([^/]+)\/reading$/.exec(packet.topic);
    try {
      const r = JSON.parse(String(packet.payload)) as { ts?: unknown; kwh?: unknown };
      if (m && typeof r.ts === 'number' && typeof r.kwh === 'number' && Number.isFinite(r.kwh) && r.kwh >= 0)
        lines.push(`reading,meter=${m[1]} wh=${Math.round(r.kwh * 1000)}i ${r.ts}`);
    } catch {
      /* not JSON: acknowledged and dropped, as a rejection would be */
    }
    done();
    if (lines.length >= 5000) flush();
    else timer ??= setTimeout(flush, 20);
  };
} else {
  client.on('message', () => {
    if (++handled === n) finish();
  });
}
await new Promise<void>((resolve, reject) => {
  client.once('connect', () => resolve());
  client.once('error', reject);
});
await client.subscribeAsync('meters/#', { qos: 1 });
console.log(JSON.stringify({ ready: true }));
if (n === 0) setTimeout(() => process.exit(0), 50);
