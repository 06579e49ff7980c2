/**
 * The `debug` package's loggers, silenced for good when DEBUG is not set at start. mqtt-packet (under mqtt.js
 * and aedes) calls its `debug()` several times per packet; a disabled logger still gathers its arguments into
 * an array before it checks `enabled`: about 1 KB per stored reading, 9% of the service's allocations in a
 * backlog drain (issue 27). Imported first by the CLI's entry, before anything that requires `debug`.
 * With DEBUG set (e.g. DEBUG=mqttjs*,mqtt-packet*) nothing is changed and the loggers work as documented.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);

interface DebugFactory {
  (namespace: string): unknown;
}

function quiet(real: DebugFactory): DebugFactory {
  const make = (namespace: string): unknown => {
    const d = Object.assign(() => {}, {
      enabled: false,
      namespace,
      log: () => {},
      destroy: () => true,
      extend: (sub: string, delimiter = ':') => make(`${namespace}${delimiter}${sub}`),
    });
    return d;
  };
  // enable(), disable(), names, formatters ... stay the real module's (through the prototype).
  return Object.setPrototypeOf(make, real) as DebugFactory;
}

/** The `debug` copies mqtt-packet (mqtt.js's and aedes's parser and writer) and mqtt.js resolve to. */
function debugPaths(): Set<string> {
  const out = new Set<string>();
  for (const from of [undefined, 'mqtt-packet', 'mqtt', 'aedes']) {
    try {
      const paths = from === undefined ? undefined : [dirname(require.resolve(from))];
      out.add(require.resolve('debug', paths && { paths }));
    } catch {
      // not installed here: nothing to silence for it
    }
  }
  return out;
}

/** Silences every `debug` copy found unless DEBUG is set; how many were silenced. */
export function silenceDebugUnlessAsked(env: NodeJS.ProcessEnv = process.env): number {
  if (env.DEBUG) return 0;
  let n = 0;
  for (const path of debugPaths()) {
    const real = require(path) as DebugFactory;
    const cached = require.cache[path];
    if (!cached || (real as { quiet?: boolean }).quiet) continue;
    cached.exports = Object.assign(quiet(real), { quiet: true });
    n++;
  }
  return n;
}

silenceDebugUnlessAsked();
