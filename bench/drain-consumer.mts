/**
 * The references of `npm run bench drain` (issue 27), each its own process like the service:
 *   drain-consumer.mts bare <brokerUrl> <clientId> <n>
 *       a plain mqtt.js QoS 1 subscriber on a persistent session; stores nothing, acknowledges on receipt
 *   drain-consumer.mts minimal <brokerUrl> <clientId> <n> <influxUrl> <db>
 *       a minimal correct ingester: JSON.parse, a tiny check, line protocol in batches of 5,000 (or 20 ms)
 *       over keep-alive HTTP, and every PUBACK held until its batch is written
 *   drain-consumer.mts aedes - - <n> <influxUrl> <db>
 *       the embedded reference: an aedes broker on a free loopback port with that minimal ingester in its
 *       authorizePublish hook, as kzmeter hosts its embedded broker (aedes sends the PUBACK when the hook calls
 *       back: after the batch is written)
 * Prints {"ready":true} (aedes: {"ready":true,"url"}) once subscribed or listening, then {"done":true} after
 * n messages (bare) or n stored. With n = 0 it only starts and subscribes (the persistent session, and the
 * idle start-up's CPU), and stays until the bench stops it.
 */
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';

const [mode, url, clientId, nText, influxUrl, db] = process.argv.slice(2);
const n = Number(nText);
let handled = 0;
const finish = () => {
  console.log(JSON.stringify({ done: true }));
  // The broker of the aedes reference stays up until the bench stops it: its CPU is read after the last write.
  if (mode !== 'aedes') setTimeout(() => process.exit(0), 50);
};

/**
 * The minimal ingester: `add` takes a message and the callback that acknowledges it; the callback runs once
 * the message's batch is written (a message that fails the check is acknowledged with its batch, unstored).
 */
function minimalIngester() {
  let lines: string[] = [];
  let acks: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing = Promise.resolve();
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
      for (const ack of held) ack();
      handled += held.length;
      if (handled === n) finish();
    });
  };
  return (topic: string, payload: Buffer, ack: () => void) => {
    const m = /^meters\/([^/]+)\/reading$/.exec(topic);
    try {
      const r = JSON.parse(String(payload)) as { ts?: unknown; kwh?: unknown };
      if (m && typeof r.ts === 'number' && typeof r.kwh === 'number' && Number.isFinite(r.kwh) && r.kwh >= 0)
        lines.push(`reading,meter=${m[1]} wh=${Math.round(r.kwh * 1000)}i ${r.ts}`);
    } catch {
      /* not JSON: acknowledged and dropped, as a rejection would be */
    }
    acks.push(ack);
    if (acks.length >= 5000) flush();
    else timer ??= setTimeout(flush, 20);
  };
}

if (mode === 'aedes') {
  const add = minimalIngester();
  const broker = await Aedes.createBroker({
    authorizePublish: (_client, packet, callback) => add(packet.topic, packet.payload as Buffer, () => callback(null)),
  });
  const srv = createServer(broker.handle);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  console.log(JSON.stringify({ ready: true, url: `mqtt://127.0.0.1:${port}` }));
} else {
  // Handlers go on before the connection: a resumed session's queued messages follow the CONNACK at once.
  const client = mqtt.connect(url!, { clientId, clean: false, protocolVersion: 4, reconnectPeriod: 0 });
  if (mode === 'minimal') {
    type Send = (p: { cmd: string }, cb?: (e?: Error) => void) => void;
    const raw = client as unknown as { _sendPacket: Send };
    const send = raw._sendPacket.bind(client);
    const add = minimalIngester();
    // PUBACKs wait for their batch; mqtt.js goes on to the next message at once.
    let held: { cmd: string } | undefined;
    raw._sendPacket = (p, cb) => {
      if (p.cmd !== 'puback') return send(p, cb);
      held = p;
      cb?.();
    };
    client.handleMessage = (packet, done) => {
      done(); // mqtt.js hands its PUBACK to _sendPacket here, synchronously: held
      const ack = held;
      held = undefined;
      add(packet.topic, packet.payload as Buffer, () => ack && send(ack));
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
}
