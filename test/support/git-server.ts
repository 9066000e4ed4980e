import { execFile, spawn } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';

export interface GitServerAuth {
  /** Accept HTTP basic auth with these credentials. */
  basic?: { username: string; password: string };
  /** Accept `Authorization: Bearer <token>`. */
  bearer?: string;
}

export interface GitServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`; a repo is at `${url}/${name}.git`. */
  url: string;
  root: string;
  /** Creates an empty bare repository that accepts pushes; returns its HTTP URL. */
  createRepo(name: string): Promise<string>;
  /** Absolute path of a bare repository on disk. */
  repoPath(name: string): string;
  /** Holds every request from now on unanswered, as a stalled server would, until `release`. */
  hold(): Hold;
  /** Requests whose client went away before the answer was complete (a cancelled clone or push). */
  readonly abandoned: number;
  close(): Promise<void>;
}

export interface Hold {
  /** Resolves when the first held request has arrived. */
  arrived: Promise<void>;
  /** Answers the held requests (those still connected) and stops holding. */
  release(): void;
}

/**
 * A smart-HTTP git server on 127.0.0.1: a Node HTTP server in front of git's own `git http-backend` CGI, so fetches,
 * shallow clones, protocol v2 and pushes are the real thing. With `auth` set, requests without matching credentials get
 * 401; without it, the server is anonymous.
 */
export async function startGitServer(
  opts: { auth?: GitServerAuth; root?: string; port?: number } = {},
): Promise<GitServer> {
  const root = opts.root ?? (await mkdtemp(join(tmpdir(), 'fluxdeck-git-')));
  let abandoned = 0;
  let held: { queue: (() => void)[]; arrived: () => void } | undefined;
  const server = createServer((req, res) => {
    res.on('close', () => {
      if (!res.writableFinished) abandoned++;
    });
    if (!authorized(req, opts.auth)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="fluxdeck-test"' }).end('authentication required\n');
      return;
    }
    if (held) {
      held.queue.push(() => {
        if (!res.destroyed) serveCgi(root, req, res);
      });
      held.arrived();
      return;
    }
    serveCgi(root, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('git server: no TCP address');
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    root,
    repoPath: (name) => join(root, `${name}.git`),
    createRepo: async (name) => {
      await createBareRepo(root, name);
      return `${url}/${name}.git`;
    },
    hold: () => {
      let arrived!: () => void;
      const promise = new Promise<void>((resolve) => (arrived = resolve));
      const h = { queue: [] as (() => void)[], arrived };
      held = h;
      return {
        arrived: promise,
        release: () => {
          if (held === h) held = undefined;
          for (const answer of h.queue.splice(0)) answer();
        },
      };
    },
    get abandoned() {
      return abandoned;
    },
    close: () => closeServer(server),
  };
}

/** Creates `root/name.git`, a bare repository the server lets clients push to and fetch any reachable commit from. */
export async function createBareRepo(root: string, name: string): Promise<string> {
  const path = join(root, `${name}.git`);
  await mkdir(dirname(path), { recursive: true });
  await exec('git', ['init', '--bare', '--quiet', '--initial-branch=main', path]);
  await exec('git', ['-C', path, 'config', 'http.receivepack', 'true']);
  await exec('git', ['-C', path, 'config', 'uploadpack.allowReachableSHA1InWant', 'true']);
  await exec('git', ['-C', path, 'config', 'uploadpack.allowFilter', 'true']);
  return path;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function authorized(req: IncomingMessage, auth: GitServerAuth | undefined): boolean {
  if (!auth || (!auth.basic && auth.bearer === undefined)) return true;
  const header = req.headers.authorization ?? '';
  if (auth.bearer !== undefined && header.startsWith('Bearer ')) return same(header.slice(7), auth.bearer);
  if (auth.basic && header.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    return same(decoded, `${auth.basic.username}:${auth.basic.password}`);
  }
  return false;
}

/** Runs git-http-backend as a CGI script for one request and relays its response. */
function serveCgi(root: string, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const child = spawn(HTTP_BACKEND, [], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      REQUEST_METHOD: req.method ?? 'GET',
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      CONTENT_LENGTH: req.headers['content-length'] ?? '',
      HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
      GIT_PROTOCOL: headerValue(req.headers['git-protocol']),
      REMOTE_USER: 'git',
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    },
  });
  // The backend may exit before it reads the whole request (a refused push): its stdin's EPIPE is not ours to throw.
  child.stdin.on('error', () => undefined);
  req.pipe(child.stdin);
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const sep = findHeaderEnd(head);
    if (sep === undefined) return;
    headersDone = true;
    const { status, headers } = parseCgiHeaders(head.subarray(0, sep.index).toString('latin1'));
    res.writeHead(status, headers);
    res.write(head.subarray(sep.index + sep.length));
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.on('close', (code) => {
    if (!headersDone) res.writeHead(500).end(`git http-backend failed (${String(code)}): ${stderr}`);
    else res.end();
  });
  child.on('error', (err) => {
    if (!res.headersSent) res.writeHead(500);
    res.end(`cannot run ${HTTP_BACKEND}: ${err.message}`);
  });
}

function headerValue(v: string | string[] | undefined): string {
  return Array.isArray(v) ? v.join(',') : (v ?? '');
}

function findHeaderEnd(buf: Buffer): { index: number; length: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { index: crlf, length: 4 };
  if (lf >= 0) return { index: lf, length: 2 };
  return undefined;
}

function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const key = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
    else headers[key] = value;
  }
  return { status, headers };
}

/**
 * Commits `files` (path → content; `null` deletes) to `branch` of a bare repository through a scratch clone on disk,
 * and pushes. Returns the new commit's hash. For fixtures; tests of the HTTP path push over HTTP themselves.
 */
export async function commitFiles(
  bareRepo: string,
  files: Record<string, string | null>,
  opts: { message?: string; branch?: string; tag?: string } = {},
): Promise<string> {
  const branch = opts.branch ?? 'main';
  const work = await mkdtemp(join(tmpdir(), 'fluxdeck-commit-'));
  try {
    const git = (...args: string[]): Promise<{ stdout: string }> =>
      exec('git', ['-c', 'user.name=Fluxdeck Test', '-c', 'user.email=test@fluxdeck.local', '-C', work, ...args]);
    await git('init', '--quiet', `--initial-branch=${branch}`);
    await git('remote', 'add', 'origin', bareRepo);
    const hasBranch = await git('ls-remote', '--heads', 'origin', branch).then((r) => r.stdout.trim() !== '');
    if (hasBranch) {
      await git('fetch', '--quiet', '--depth=1', 'origin', branch);
      await git('checkout', '--quiet', '-B', branch, 'FETCH_HEAD');
    }
    for (const [path, content] of Object.entries(files)) {
      const abs = join(work, path);
      if (content === null) await rm(abs, { recursive: true, force: true });
      else {
        await mkdir(dirname(abs), { recursive: true });
        await writeFile(abs, content);
      }
    }
    await git('add', '--all');
    await git('commit', '--quiet', '--allow-empty', '-m', opts.message ?? 'update');
    await git('push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
    if (opts.tag) await git('push', '--quiet', '--force', 'origin', `HEAD:refs/tags/${opts.tag}`);
    return (await git('rev-parse', 'HEAD')).stdout.trim();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
