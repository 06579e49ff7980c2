import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestPki {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** A throw-away CA and a server certificate for 127.0.0.1 / localhost, made with Debian's openssl. */
export function makeTestPki(dir: string): TestPki {
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const key = ['-newkey', 'rsa:2048', '-nodes'];
  ssl(
    'req',
    '-x509',
    ...key,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=kzmeter test CA',
  );
  ssl('req', ...key, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost');
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('server.pem'),
    '-days',
    '2',
    '-extfile',
    f('ext.cnf'),
  );
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key') };
}
