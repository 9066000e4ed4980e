import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ArtifactStore } from '../../../main/sources/artifacts/artifact-store.ts';
import { authFromSecret } from '../../../main/sources/git/git-auth.ts';
import { fetchGit } from '../../../main/sources/git/git-fetch.ts';
import { parseGitUrl } from '../../../main/sources/git/git-url.ts';
import { GitSource } from '../../../main/sources/git-source.ts';
import { type GitServer, startGitServer } from '../../support/git-server.ts';
import { workingCopy } from './git-fixture.ts';

const exec = promisify(execFile);

/** Forwards requests to the git server, optionally dropping the Git-Protocol header (a v0/v1-only server). */
function forward(target: GitServer, opts: { stripProtocol: boolean }) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const headers = { ...req.headers };
    if (opts.stripProtocol) delete headers['git-protocol'];
    const up = request(`${target.url}${req.url ?? '/'}`, { method: req.method, headers }, (r) => {
      res.writeHead(r.statusCode ?? 500, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

describe('git transports: protocol v0 servers and HTTPS with a private CA', () => {
  let git: GitServer;
  let work: string;
  let commit: string;
  const servers: Server[] = [];

  beforeAll(async () => {
    git = await startGitServer();
    work = await mkdtemp(join(tmpdir(), 'fluxdeck-transport-'));
    await git.createRepo('t');
    const wc = await workingCopy(git.repoPath('t'));
    await wc.write({ 'a.yaml': 'a\n' });
    commit = await wc.commit('a');
    await wc.close();
  });
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
    await git.close();
    await rm(git.root, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  it('falls back to isomorphic-git when the server does not speak protocol v2', async () => {
    const proxy = createHttpServer(forward(git, { stripProtocol: true }));
    servers.push(proxy);
    const url = `http://127.0.0.1:${await listen(proxy)}/t.git`;
    const res = await fetchGit({ url, ref: { branch: 'main' } }, undefined, { cacheDir: join(work, 'v0') });
    expect(res.revision).toBe(`main@sha1:${commit}`);
    const again = await fetchGit({ url, ref: { branch: 'main' } }, undefined, {
      cacheDir: join(work, 'v0'),
      lastRevision: res.revision,
    });
    expect(again).toMatchObject({ changed: false, fetched: false });
  });

  it('cancels a fetch running in a worker thread when the caller aborts', async () => {
    const silent = createHttpServer(() => undefined);
    servers.push(silent);
    const url = `http://127.0.0.1:${await listen(silent)}/t.git`;
    const source = new GitSource({
      cacheDir: join(work, 'abort'),
      store: new ArtifactStore({ root: join(work, 'a') }),
      workers: 1,
    });
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 200);
    const err = await source
      .fetch({ url }, undefined, { signal: ctl.signal, timeoutMs: 60_000 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'GitOperationFailed', condition: 'FetchFailed' });
    expect((err as Error).message).toContain('cancelled');
    await source.close();
  });

  it('trusts a private CA from ca.crt and explains the failure without it', async () => {
    const key = join(work, 'tls.key');
    const crt = join(work, 'tls.crt');
    await exec('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      crt,
    ]);
    const cert = await readFile(crt, 'utf8');
    const tls = createHttpsServer({ key: await readFile(key), cert }, forward(git, { stripProtocol: false }));
    servers.push(tls);
    const url = `https://127.0.0.1:${await listen(tls)}/t.git`;
    const err = await fetchGit({ url, ref: { branch: 'main' } }, undefined, { cacheDir: join(work, 'tls') }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ reason: 'GitOperationFailed' });
    expect((err as Error).message).toContain("'ca.crt'");
    const auth = authFromSecret(parseGitUrl(url), { 'ca.crt': cert });
    const ok = await fetchGit({ url, ref: { branch: 'main' } }, auth, { cacheDir: join(work, 'tls') });
    expect(ok.commit).toBe(commit);
  });
});
