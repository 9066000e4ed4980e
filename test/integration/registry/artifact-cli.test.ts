// `fluxdeck push|pull|list|tag|diff artifact` against the real distribution registry, checked both ways with the
// real flux CLI: what Fluxdeck pushes, flux pulls and lists; what flux pushes, Fluxdeck pulls.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli } from '../../../main/cli/run.ts';
import { cliIO } from '../../support/cli-io.ts';
import { type RegistryServer, startRegistry } from '../../support/registry.ts';
import { ensureTool } from '../../tools/tools.ts';

const run = promisify(execFile);

let registry: RegistryServer;
let secured: RegistryServer;
let flux: string;
let work: string;

async function tree(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(work, name);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

async function fluxdeck(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const t = cliIO();
  const code = await runCli(args, t.io);
  return { code, out: t.out(), err: t.err() };
}

const APP = { 'deploy/cm.yaml': 'kind: ConfigMap\n', 'deploy/sub/svc.yaml': 'kind: Service\n', 'README.md': '# app\n' };

beforeAll(async () => {
  [registry, secured, flux] = await Promise.all([
    startRegistry(),
    startRegistry({ htpasswd: true }),
    ensureTool('flux'),
  ]);
  work = await mkdtemp(join(tmpdir(), 'fluxdeck-artifact-cli-'));
});

afterAll(async () => {
  await Promise.all([registry.stop(), secured.stop()]);
  await rm(work, { recursive: true, force: true });
});

describe('fluxdeck push artifact', () => {
  it('pushes what flux pull artifact reads, with source and revision flux list artifacts shows', async () => {
    const dir = await tree('app', { ...APP, '.git/HEAD': 'ref\n', 'logo.png': 'png' });
    const url = `oci://${registry.host}/apps/web:v1.0.0`;
    const pushed = await fluxdeck(
      'push',
      'artifact',
      url,
      '--path',
      dir,
      '--source',
      'https://example.com/web.git',
      '--revision',
      'main@sha1:0123456789abcdef0123456789abcdef01234567',
      '-a',
      'team=web',
      '--insecure-registry',
      '-o',
      'json',
    );
    expect(pushed.code, pushed.err).toBe(0);
    const doc = JSON.parse(pushed.out) as { digest: string; tag: string; repository: string };
    expect(doc.tag).toBe('v1.0.0');
    expect(doc.digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const out = join(work, 'flux-pulled');
    await mkdir(out); // flux pull wants the output directory to exist
    await run(flux, ['pull', 'artifact', url, `--output=${out}`, '--insecure-registry']);
    expect(await readFile(join(out, 'deploy/sub/svc.yaml'), 'utf8')).toBe('kind: Service\n');
    // The default --ignore-paths left out .git/ and images, as flux push does.
    await expect(readFile(join(out, '.git/HEAD'))).rejects.toThrow();
    await expect(readFile(join(out, 'logo.png'))).rejects.toThrow();

    const { stdout } = await run(flux, ['list', 'artifacts', `oci://${registry.host}/apps/web`, '--insecure-registry']);
    expect(stdout).toContain(doc.digest);
    expect(stdout).toContain('https://example.com/web.git');
    expect(stdout).toContain('main@sha1:0123456789abcdef0123456789abcdef01234567');
  });

  it('gives the same digest for the same content with --reproducible', async () => {
    const dir = await tree('repro', APP);
    const push = async (tag: string): Promise<string> => {
      const r = await fluxdeck(
        'push',
        'artifact',
        `oci://${registry.host}/apps/repro:${tag}`,
        '--path',
        dir,
        '--reproducible',
        '--insecure-registry',
        '-o',
        'json',
      );
      expect(r.code, r.err).toBe(0);
      return (JSON.parse(r.out) as { digest: string }).digest;
    };
    expect(await push('a')).toBe(await push('b'));
  });

  it('refuses a URL without oci://, an empty directory, and a digest target, with exit code 2', async () => {
    const empty = await tree('empty', { 'only.png': 'x' });
    const noScheme = await fluxdeck('push', 'artifact', `${registry.host}/x:1`, '--path', empty, '--insecure-registry');
    expect(noScheme.code).toBe(2);
    expect(noScheme.err).toContain('oci://registry/repository');
    const nothing = await fluxdeck(
      'push',
      'artifact',
      `oci://${registry.host}/x:1`,
      '--path',
      empty,
      '--insecure-registry',
    );
    expect(nothing.code).toBe(2);
    expect(nothing.err).toContain('no files to push');
    const missing = await fluxdeck(
      'push',
      'artifact',
      `oci://${registry.host}/x:1`,
      '--path',
      join(work, 'nope'),
      '--insecure-registry',
    );
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('cannot read');
  });
});

describe('fluxdeck pull artifact', () => {
  it('pulls and extracts what flux push artifact pushed, reporting its source and revision', async () => {
    const dir = await tree('from-flux', APP);
    const url = `oci://${registry.host}/apps/api:v2`;
    await run(flux, [
      'push',
      'artifact',
      url,
      `--path=${dir}`,
      '--source=https://example.com/api.git',
      '--revision=v2@sha1:abcdef0123456789abcdef0123456789abcdef01',
      '--insecure-registry',
    ]);
    const out = join(work, 'ours-pulled');
    const r = await fluxdeck('pull', 'artifact', url, '-o', out, '--insecure-registry');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('revision v2@sha1:abcdef0123456789abcdef0123456789abcdef01');
    expect(await readFile(join(out, 'deploy/cm.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
    expect(await readFile(join(out, 'README.md'), 'utf8')).toBe('# app\n');
  });

  it('says which tag is missing and exits 1', async () => {
    const r = await fluxdeck(
      'pull',
      'artifact',
      `oci://${registry.host}/apps/api:nope`,
      '-o',
      join(work, 'x'),
      '--insecure-registry',
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/apps\/api:nope/);
  });
});

describe('fluxdeck list, tag and diff artifact', () => {
  it('lists tags newest name first, filtered by semver, and tags an artifact without changing its digest', async () => {
    const dir = await tree('versions', APP);
    for (const tag of ['1.0.0', '1.1.0', '2.0.0', 'latest']) {
      const r = await fluxdeck(
        'push',
        'artifact',
        `oci://${registry.host}/apps/versions:${tag}`,
        '--path',
        dir,
        '--revision',
        `${tag}@sha1:${'1'.repeat(40)}`,
        '--insecure-registry',
      );
      expect(r.code, r.err).toBe(0);
    }
    const listed = await fluxdeck(
      'list',
      'artifacts',
      `oci://${registry.host}/apps/versions`,
      '--filter-semver',
      '>=1.1.0',
      '--insecure-registry',
      '-o',
      'json',
    );
    expect(listed.code, listed.err).toBe(0);
    const rows = JSON.parse(listed.out) as { tag: string; revision: string; digest: string }[];
    expect(rows.map((r) => r.tag)).toEqual(['2.0.0', '1.1.0']);
    expect(rows[0]?.revision).toBe(`2.0.0@sha1:${'1'.repeat(40)}`);

    const tagged = await fluxdeck(
      'tag',
      'artifact',
      `oci://${registry.host}/apps/versions:2.0.0`,
      '--tag',
      'stable',
      '--insecure-registry',
    );
    expect(tagged.code, tagged.err).toBe(0);
    const after = JSON.parse(
      (
        await fluxdeck(
          'list',
          'artifacts',
          `oci://${registry.host}/apps/versions`,
          '--filter-regex',
          '^stable$',
          '--insecure-registry',
          '-o',
          'json',
        )
      ).out,
    ) as { digest: string }[];
    expect(after.map((r) => r.digest)).toEqual([rows[0]?.digest]);
  });

  it('diffs files: none after a push, then the added, removed and changed ones (exit 1)', async () => {
    const dir = await tree('diffed', APP);
    const url = `oci://${registry.host}/apps/diffed:v1`;
    expect((await fluxdeck('push', 'artifact', url, '--path', dir, '--insecure-registry')).code).toBe(0);
    const same = await fluxdeck('diff', 'artifact', url, '--path', dir, '--insecure-registry');
    expect(same.code, same.err).toBe(0);
    await writeFile(join(dir, 'deploy/cm.yaml'), 'kind: ConfigMap\ndata: {}\n');
    await rm(join(dir, 'README.md'));
    await writeFile(join(dir, 'deploy/new.yaml'), 'kind: Secret\n');
    const changed = await fluxdeck('diff', 'artifact', url, '--path', dir, '--insecure-registry');
    expect(changed.code).toBe(1);
    expect(changed.out).toBe('+ deploy/new.yaml\n- README.md\n~ deploy/cm.yaml\n');
  });

  it('follows symbolic links only with --resolve-symlinks', async () => {
    const dir = await tree('links', { 'real/cm.yaml': 'kind: ConfigMap\n' });
    await symlink(join(dir, 'real'), join(dir, 'linked'));
    const url = `oci://${registry.host}/apps/links`;
    expect((await fluxdeck('push', 'artifact', `${url}:plain`, '--path', dir, '--insecure-registry')).code).toBe(0);
    expect(
      (
        await fluxdeck(
          'push',
          'artifact',
          `${url}:resolved`,
          '--path',
          dir,
          '--resolve-symlinks',
          '--insecure-registry',
        )
      ).code,
    ).toBe(0);
    const plain = join(work, 'links-plain');
    const resolved = join(work, 'links-resolved');
    await fluxdeck('pull', 'artifact', `${url}:plain`, '-o', plain, '--insecure-registry');
    await fluxdeck('pull', 'artifact', `${url}:resolved`, '-o', resolved, '--insecure-registry');
    await expect(readFile(join(plain, 'linked/cm.yaml'))).rejects.toThrow();
    expect(await readFile(join(resolved, 'linked/cm.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
  });
});

describe('registry credentials', () => {
  it('refuses wrong --creds, accepts the right ones, and reads the Docker config file', async () => {
    const dir = await tree('secured', APP);
    const url = `oci://${secured.host}/private/app:v1`;
    const wrong = await fluxdeck(
      'push',
      'artifact',
      url,
      '--path',
      dir,
      '--creds',
      'docker:wrong',
      '--insecure-registry',
    );
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/unauthori[sz]ed|401|credentials/i);
    expect(wrong.err).not.toContain('wrong');
    const creds = `${secured.username ?? ''}:${secured.password ?? ''}`;
    const ok = await fluxdeck('push', 'artifact', url, '--path', dir, '--creds', creds, '--insecure-registry');
    expect(ok.code, ok.err).toBe(0);

    const config = join(work, 'docker');
    await mkdir(config, { recursive: true });
    const auth = Buffer.from(creds).toString('base64');
    await writeFile(join(config, 'config.json'), JSON.stringify({ auths: { [secured.host]: { auth } } }));
    const before = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = config;
    try {
      const pulled = await fluxdeck('pull', 'artifact', url, '-o', join(work, 'secured-out'), '--insecure-registry');
      expect(pulled.code, pulled.err).toBe(0);
    } finally {
      if (before === undefined) delete process.env.DOCKER_CONFIG;
      else process.env.DOCKER_CONFIG = before;
    }
  });
});
