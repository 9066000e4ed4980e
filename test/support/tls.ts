import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface TestPki {
  /** PEM of the CA that signed the server certificate: what a client trusts. */
  ca: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** A throw-away CA and a server certificate for 127.0.0.1 and localhost, made with openssl in `dir`. */
export async function makeTestPki(dir: string): Promise<TestPki> {
  const p = (f: string): string => join(dir, f);
  const run = (...args: string[]): Promise<unknown> => exec('openssl', args);
  await run(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=fluxdeck test CA',
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.crt'),
  );
  await run(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    p('server.key'),
    '-out',
    p('server.csr'),
  );
  await writeFile(p('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await run(
    'x509',
    '-req',
    '-in',
    p('server.csr'),
    '-CA',
    p('ca.crt'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    p('ext.cnf'),
    '-out',
    p('server.crt'),
  );
  return {
    ca: await readFile(p('ca.crt'), 'utf8'),
    caFile: p('ca.crt'),
    certFile: p('server.crt'),
    keyFile: p('server.key'),
  };
}
