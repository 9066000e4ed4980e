/**
 * Issue 13 item 2, against real HTTP servers: a git server answers with a redirect to another port (another origin),
 * which records what it receives. Before the shared rule, git fetch and push sent the user's Basic credentials there.
 */
import * as fs from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import git from 'isomorphic-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseGitUrl } from '../../../main/sources/git/git-url.ts';
import { createHttpClient } from '../../../main/sources/git/http-client.ts';
import { gitRemote } from '../../../main/sources/workspace/git-remote.ts';

const AUTH = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;

interface Recorder {
  server: Server;
  port: number;
  seen: IncomingHttpHeaders[];
}

async function listen(handler: (r: Recorder, url: string, res: ServerResponse) => void) {
  const r = { seen: [] } as unknown as Recorder;
  r.server = createServer((req, res) => {
    r.seen.push(req.headers);
    req.resume();
    handler(r, req.url ?? '/', res);
  });
  await new Promise<void>((ok) => r.server.listen(0, '127.0.0.1', ok));
  r.port = (r.server.address() as AddressInfo).port;
  return r;
}

let other: Recorder;
let origin: Recorder;
let dir: string;

beforeAll(async () => {
  other = await listen((_, __, res) => res.writeHead(404).end());
  // The git server: every request is sent on to the other origin; `/same/` first hops within the origin.
  origin = await listen((_, url, res) => {
    if (url.startsWith('/same/')) res.writeHead(302, { location: url.replace('/same/', '/') }).end();
    else res.writeHead(302, { location: `http://localhost:${other.port}${url}` }).end();
  });
  dir = await mkdtemp(join(tmpdir(), 'fluxdeck-redirect-'));
  await git.init({ fs, dir, defaultBranch: 'main' });
  await writeFile(join(dir, 'a.txt'), 'a');
  await git.add({ fs, dir, filepath: 'a.txt' });
  await git.commit({ fs, dir, message: 'a', author: { name: 't', email: 't@example.com' } });
});

afterAll(async () => {
  origin.server.close();
  other.server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('git clients and cross-origin redirects', () => {
  it('the fetch client keeps credentials within the origin and drops them on the redirect to another port', async () => {
    other.seen.length = 0;
    origin.seen.length = 0;
    const client = createHttpClient({ headers: { authorization: AUTH } });
    const res = await client.request({
      url: `http://127.0.0.1:${origin.port}/same/repo.git/info/refs?service=git-upload-pack`,
      headers: { cookie: 'session=1' },
    });
    expect(res.statusCode).toBe(404);
    expect(origin.seen.map((h) => h.authorization)).toEqual([AUTH, AUTH]);
    expect(other.seen).toHaveLength(1);
    expect(other.seen[0]?.authorization).toBeUndefined();
    expect(other.seen[0]?.cookie).toBeUndefined();
  });

  it('userinfo in the URL is not sent to the other origin either', async () => {
    other.seen.length = 0;
    const client = createHttpClient({});
    await client.request({ url: `http://alice:s3cret@127.0.0.1:${origin.port}/repo.git/info/refs` });
    expect(other.seen).toHaveLength(1);
    expect(other.seen[0]?.authorization).toBeUndefined();
  });

  it('the work-tree push does not send credentials to the other origin', async () => {
    other.seen.length = 0;
    const remote = gitRemote(parseGitUrl(`http://127.0.0.1:${origin.port}/repo.git`), {
      kind: 'http',
      authorization: AUTH,
    });
    const oid = await git.resolveRef({ fs, dir, ref: 'main' });
    const outcome = await remote.push(dir, oid, 'main');
    expect(outcome.status).toBe('rejected');
    expect(other.seen.length).toBeGreaterThan(0);
    for (const h of other.seen) expect(h.authorization).toBeUndefined();
  });
});
