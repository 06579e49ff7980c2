/**
 * Host and Origin must name this service (issue 21: DNS rebinding reached the public routes): a loopback name,
 * the listen address, or the configured public origin (http.publicOrigin, the address browsers use behind a TLS
 * proxy). A request for another Host is answered 421 before anything else runs; a request carrying another
 * Origin (a page of another site) 403. Requests without Host or Origin (HTTP/1.0 probes, scripts) pass.
 */
import type { FastifyInstance } from 'fastify';
import { isLoopbackHost } from '../../auth/bind-check.ts';

export interface PublicOriginOptions {
  /** The listen address (http.host). */
  readonly listenHost: string;
  /** https://host[:port] browsers use, when the service sits behind a proxy. */
  readonly publicOrigin?: string | undefined;
}

const WILDCARD = new Set(['0.0.0.0', '::', '[::]', '']);

/** host[:port] of a Host header or origin, lower-case, IPv6 brackets kept; undefined when unparsable. */
function hostPort(value: string, scheme = 'http'): { hostname: string; host: string } | undefined {
  try {
    const u = new URL(`${scheme}://${value}`);
    return { hostname: u.hostname.toLowerCase(), host: u.host.toLowerCase() };
  } catch {
    return undefined;
  }
}

export function publicOriginCheck(opts: PublicOriginOptions) {
  const listen = opts.listenHost.trim().toLowerCase();
  const pub = opts.publicOrigin ? new URL(opts.publicOrigin) : undefined;
  const pubHost = pub?.host.toLowerCase();
  const pubOrigin = pub?.origin.toLowerCase();
  // Loopback names and the listen address on any port (the port is the socket's own; rebinding needs a name).
  const local = (hostname: string) =>
    isLoopbackHost(hostname) || (!WILDCARD.has(listen) && hostname.replace(/^\[|\]$/g, '') === listen);
  const hostAllowed = (host: string) => {
    const h = hostPort(host);
    return h !== undefined && (h.host === pubHost || local(h.hostname));
  };
  const originAllowed = (origin: string) => {
    if (origin.toLowerCase() === pubOrigin) return true;
    try {
      return local(new URL(origin).hostname.toLowerCase());
    } catch {
      return false; // "null" (a sandboxed page, a file) and garbage
    }
  };
  const hint = 'set KZM_HTTP_PUBLIC_ORIGIN (http.publicOrigin) to the address browsers use';
  return {
    /** The same origin as the public one: the dashboard behind the proxy (for the cross-site check). */
    isPublicOrigin: (origin: string | undefined) => origin !== undefined && origin.toLowerCase() === pubOrigin,
    register(app: FastifyInstance): void {
      app.addHook('onRequest', async (req, reply) => {
        const host = req.headers.host;
        if (host !== undefined && !hostAllowed(host))
          return reply.status(421).send({ error: `this service does not answer for host "${host}": ${hint}` });
        const origin = req.headers.origin;
        if (origin !== undefined && !originAllowed(origin))
          return reply.status(403).send({
            error: `cross-site request refused: origin "${origin}" is not this service (${hint}, if it is)`,
          });
        return undefined;
      });
    },
  };
}
export type PublicOrigin = ReturnType<typeof publicOriginCheck>;
