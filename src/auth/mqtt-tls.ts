import { readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Config } from '../config/schema.ts';

export interface TlsMaterial {
  readonly port: number;
  readonly key: Buffer;
  readonly cert: Buffer;
  readonly ca?: Buffer;
}

type Result = { ok: true; value: TlsMaterial | undefined } | { ok: false; reason: string };

/** Phase 1: the mqtts listener's certificate, key and CA must be readable before any port opens. */
export function readMqttTls(config: Config): Result {
  const tls = config.mqtt.tls;
  if (!config.mqtt.plainTcp && !tls)
    return {
      ok: false,
      reason:
        'mqtt.plainTcp is false and no mqtt.tls is configured: the broker would not listen at all. Set KZM_MQTT_TLS_CERT_FILE and KZM_MQTT_TLS_KEY_FILE.',
    };
  if (!tls) return { ok: true, value: undefined };
  const read = (key: string, file: string): Buffer | string => {
    try {
      return readFileSync(file);
    } catch (err) {
      return `mqtt.tls.${key} (${file}) cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
    }
  };
  const cert = read('certFile', tls.certFile);
  const key = read('keyFile', tls.keyFile);
  const ca = tls.caFile === undefined ? undefined : read('caFile', tls.caFile);
  for (const x of [cert, key, ca]) if (typeof x === 'string') return { ok: false, reason: x };
  return {
    ok: true,
    value: { port: tls.port, cert: cert as Buffer, key: key as Buffer, ...(ca && { ca: ca as Buffer }) },
  };
}

/**
 * An mqtts listener handing its connections to the broker; a bad key/cert pair fails here, at start. The broker's
 * connect timer starts only once the handshake is done, so the handshake gets the same bound (Node's default is
 * 120 s): a connection that has not finished it `handshakeTimeoutMs` after it opened is closed, as a silent plain one
 * is (issue 21, F3). Bytes trickled into the handshake do not extend it.
 */
export async function listenTls(
  handle: (socket: Socket) => void,
  host: string,
  m: TlsMaterial,
  handshakeTimeoutMs = 30_000,
): Promise<Server> {
  const server = createTlsServer(
    { key: m.key, cert: m.cert, ...(m.ca && { ca: m.ca }), handshakeTimeout: handshakeTimeoutMs },
    handle,
  );
  // Node reports an expired handshake as 'tlsClientError' and leaves the socket open (Node 20): close it.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(m.port, host, () => resolve());
  });
  return server;
}
