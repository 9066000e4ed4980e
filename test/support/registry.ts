/**
 * The distribution registry (github.com/distribution/distribution/v3, built by test/tools/build.sh) on a free
 * loopback port: anonymous, htpasswd (Basic) or TLS with a throw-away CA. Storage is a temporary directory removed
 * on stop().
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ensureTool } from '../tools/tools.ts';
import { freePort, waitFor } from './ports.ts';
import { makeTestPki } from './tls.ts';

export interface RegistryServerOptions {
  /** Require Basic auth (htpasswd); the registry provisions user `docker` with a random password. */
  htpasswd?: boolean;
  /** Serve HTTPS with a certificate from a throw-away CA. */
  tls?: boolean;
}

export interface RegistryServer {
  /** `127.0.0.1:PORT`: the registry part of a reference. */
  host: string;
  url: string;
  /** The storage directory (`docker/registry/v2/blobs/sha256/<2>/<hex>/data`), for tests that corrupt blobs. */
  storage: string;
  /** With htpasswd. */
  username?: string;
  password?: string;
  /** With tls: the CA's PEM, and its file for CLI tools. */
  ca?: string;
  caFile?: string;
  stop(): Promise<void>;
}

export async function startRegistry(opts: RegistryServerOptions = {}): Promise<RegistryServer> {
  const bin = await ensureTool('registry');
  const dir = await mkdtemp(join(tmpdir(), 'fluxdeck-registry-'));
  const port = await freePort();
  const pki = opts.tls ? await makeTestPki(dir) : undefined;
  const config = [
    'version: 0.1',
    'log: {level: warn, formatter: json, accesslog: {disabled: true}}',
    `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`,
    `http:`,
    `  addr: 127.0.0.1:${port}`,
    `  secret: fluxdeck-test`,
    ...(pki ? [`  tls: {certificate: ${pki.certFile}, key: ${pki.keyFile}}`] : []),
    ...(opts.htpasswd ? ['auth:', `  htpasswd: {realm: fluxdeck-test, path: ${join(dir, 'htpasswd')}}`] : []),
  ].join('\n');
  await writeFile(join(dir, 'config.yml'), config);
  const child: ChildProcess = spawn(bin, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (log += d));
  const url = `${pki ? 'https' : 'http'}://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('the registry', () => probe(`${url}/v2/`, pki?.ca));
  } catch (err) {
    await stop();
    throw new Error(`${String(err)}\n${log}`, { cause: err });
  }
  const server: RegistryServer = { host: `127.0.0.1:${port}`, url, storage: join(dir, 'data'), stop };
  if (opts.htpasswd) {
    // The provisioning line is JSON: {"password":"...","user":"docker",...,"msg":"htpasswd is missing, ..."}.
    const line = log.split('\n').find((l) => l.includes('htpasswd is missing'));
    const password = line ? (JSON.parse(line) as { password?: string }).password : undefined;
    if (!password) {
      await stop();
      throw new Error(`the registry did not provision an htpasswd user:\n${log}`);
    }
    server.username = 'docker';
    server.password = password;
  }
  if (pki) {
    server.ca = pki.ca;
    server.caFile = pki.caFile;
  }
  return server;
}

function probe(url: string, ca: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const req = (url.startsWith('https') ? httpsRequest : httpRequest)(url, { ...(ca ? { ca } : {}) }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 || res.statusCode === 401);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}
