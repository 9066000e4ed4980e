import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Files of a test cluster's PKI. Everything is PEM. */
export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  saKey: string;
  saPub: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    throw new Error(`openssl ${args[0] ?? ''} failed while generating the test cluster certificates`, { cause: err });
  }
}

/**
 * Generates a CA, an apiserver serving certificate for 127.0.0.1/localhost, an admin client certificate in
 * `system:masters`, and the service-account signing key pair. Uses the openssl CLI because Node has no X.509 signer.
 */
export async function generatePki(dir: string): Promise<Pki> {
  await mkdir(dir, { recursive: true });
  const p = (f: string): string => join(dir, f);
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  await openssl(
    ['req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=fluxdeck-test-ca', '-days', '3650', '-out', 'ca.crt'],
    dir,
  );
  await signed(
    dir,
    'apiserver',
    '/CN=kube-apiserver',
    'serverAuth',
    'DNS:localhost,IP:127.0.0.1,IP:10.0.0.1,DNS:kubernetes.default.svc',
  );
  await signed(dir, 'admin', '/O=system:masters/CN=admin', 'clientAuth');
  await openssl(['genrsa', '-out', 'sa.key', '2048'], dir);
  await openssl(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  return {
    dir,
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    serverCert: p('apiserver.crt'),
    serverKey: p('apiserver.key'),
    adminCert: p('admin.crt'),
    adminKey: p('admin.key'),
    saKey: p('sa.key'),
    saPub: p('sa.pub'),
  };
}

async function signed(dir: string, name: string, subject: string, usage: string, san?: string): Promise<void> {
  const ext = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${usage}`,
    ...(san ? [`subjectAltName=${san}`] : []),
  ].join('\n');
  await writeFile(join(dir, `${name}.ext`), ext);
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
  await openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], dir);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '3650',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    ],
    dir,
  );
}

/** Signs an extra client certificate (for tests of other identities) and returns its PEM cert and key. */
export async function issueClientCert(
  pki: Pki,
  name: string,
  groups: string[] = [],
): Promise<{ cert: string; key: string }> {
  const subject = `${groups.map((g) => `/O=${g}`).join('')}/CN=${name}`;
  const file = `client-${name.replace(/[^a-z0-9-]/gi, '_')}`;
  await signed(pki.dir, file, subject, 'clientAuth');
  return {
    cert: await readFile(join(pki.dir, `${file}.crt`), 'utf8'),
    key: await readFile(join(pki.dir, `${file}.key`), 'utf8'),
  };
}
