/**
 * Issue 22, item 7: the Eclipse Paho MQTT 3.1.1 interoperability suite passed 7 of 10 tests against the embedded
 * broker (with KZM_MQTT_ALLOW_ANONYMOUS=true on loopback) against Mosquitto's 8: its "$ topics" test publishes
 * QoS 1 to `$TopicA/B` and never got the PUBACK (the broker closed the connection instead). Mosquitto acknowledges
 * it and a `+/+` subscriber does not get it. Here a real Paho client (Debian's python3-paho-mqtt) does the same
 * against the service: PUBACK (on_publish), the connection kept, nothing delivered to a wildcard subscriber, and
 * nothing stored (`$` topics are the broker's: MQTT 3.1.1 section 4.7.2).
 */
import { execFile } from 'node:child_process';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { useInflux } from '../helpers/influx.ts';
import { queryRows, startService } from '../helpers/service.ts';

/** Debian's interpreter: its dist-packages hold python3-paho-mqtt (a python3 earlier on PATH may not). */
const PYTHON = '/usr/bin/python3';

/**
 * Connects, subscribes `+/+` and `$TopicA/B` (waits for the SUBACK: on_subscribe), publishes QoS 1 to `$TopicA/B`
 * then to `TopicA/B` (waits for each PUBACK, then for the plain message to come back); prints JSON.
 */
const SCRIPT = String.raw`
import json, sys, threading
import paho.mqtt.client as mqtt
host, port = sys.argv[1], int(sys.argv[2])
got, events = [], []
subscribed, plain_arrived = threading.Event(), threading.Event()
def on_message(cl, u, m):
    got.append(m.topic)
    if m.topic == "TopicA/B":
        plain_arrived.set()
c = mqtt.Client(client_id="paho-dollar", clean_session=True, protocol=mqtt.MQTTv311)
c.on_message = on_message
c.on_subscribe = lambda cl, u, mid, granted: subscribed.set()
c.on_disconnect = lambda cl, u, rc: events.append("disconnect %d" % rc)
c.connect(host, port, keepalive=30)
c.loop_start()
c.subscribe([("+/+", 1), ("$TopicA/B", 1)])
if not subscribed.wait(5):
    events.append("no SUBACK in 5 s")
dollar = c.publish("$TopicA/B", b"", qos=1, retain=False)
dollar.wait_for_publish(timeout=5)
plain = c.publish("TopicA/B", b"plain", qos=1, retain=False)
plain.wait_for_publish(timeout=5)
# The plain message is routed after the $ one: once it is here, a delivered $ message would be too.
if not plain_arrived.wait(5):
    events.append("TopicA/B not delivered in 5 s")
connected, seen = c.is_connected(), list(events)
c.disconnect()
c.loop_stop()
print(json.dumps({"dollarAcked": dollar.is_published(), "plainAcked": plain.is_published(),
                  "received": got, "connectedAfter": connected, "events": seen}))
`;

function runPaho(host: string, port: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, ['-c', SCRIPT, host, String(port)], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr} (is python3-paho-mqtt installed? npm pretest does)`));
      resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>);
    });
  });
}

describe('Paho client against the embedded broker (issue 22, item 7)', () => {
  const influx = useInflux();

  it('a QoS 1 publish to $TopicA/B is acknowledged as Mosquitto does: connection kept, not delivered, nothing stored', async () => {
    const target = await influx.database();
    const svc = await startService(target);
    try {
      const url = new URL(svc.brokerUrl);
      const r = await runPaho(url.hostname, Number(url.port));
      expect(r).toMatchObject({ dollarAcked: true, plainAcked: true, connectedAfter: true, events: [] });
      // The plain topic reached the wildcard subscriber; the $ topic reached nobody.
      expect(r.received).toEqual(['TopicA/B']);
      expect(await queryRows(target, `SELECT * FROM rejected WHERE "topic" = '$TopicA/B'`)).toEqual([]);
    } finally {
      await svc.cleanup();
    }
  }, 60_000);

  it('$SYS and retained $ publishes are acknowledged and go nowhere: no retained copy, no broker-internal effect', async () => {
    const svc = await startService(await influx.database());
    try {
      const victim = await mqtt.connectAsync(svc.brokerUrl, { clientId: 'victim', reconnectPeriod: 0 });
      const closed = new Promise<string>((r) => victim.once('close', () => r('closed')));
      const c = await mqtt.connectAsync(svc.brokerUrl, { clientId: 'dollar-writer', reconnectPeriod: 0 });
      // aedes closes the client whose id a `$SYS/<broker>/new/clients` message names: it must never be routed.
      await c.publishAsync('$SYS/other-broker/new/clients', 'victim', { qos: 1 });
      await c.publishAsync('$TopicA/retained', 'kept?', { qos: 1, retain: true });
      const later = await mqtt.connectAsync(svc.brokerUrl, { clientId: 'later', reconnectPeriod: 0 });
      const retained: string[] = [];
      later.on('message', (topic) => retained.push(topic));
      await later.subscribeAsync('$TopicA/retained', { qos: 1 });
      // A round trip on a plain topic after the subscription: a retained message would have come before it.
      await later.subscribeAsync('TopicA/B', { qos: 1 });
      await c.publishAsync('TopicA/B', 'x', { qos: 1 });
      await new Promise<void>((r) => later.once('message', () => r()));
      expect(retained).toEqual(['TopicA/B']);
      expect(await Promise.race([closed, Promise.resolve('open')])).toBe('open');
      expect(c.connected && victim.connected).toBe(true);
      await Promise.all([victim.endAsync(), c.endAsync(), later.endAsync()]);
    } finally {
      await svc.cleanup();
    }
  }, 60_000);
});
