// A repository is untrusted input: symbolic links in it must not let a build read the workstation's files
// (kustomize compares real paths for its load restrictor; so does this engine).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { build, fluxBuild, KustomizeError, NodeFs, openDirectory } from '../../../main/kustomize/index.ts';

const top = mkdtempSync(join(tmpdir(), 'fluxdeck-symlinks-'));
afterAll(() => rmSync(top, { recursive: true, force: true }));

const SECRET = 'AWS_SECRET_ACCESS_KEY=do-not-leak';
const outside = join(top, 'outside');
mkdirSync(outside);
writeFileSync(join(outside, 'env.txt'), SECRET);
writeFileSync(
  join(outside, 'cm.yaml'),
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stolen\ndata:\n  v: "${SECRET}"\n`,
);

/** A repository with `files` (path → content) and `links` (path → target), built as the CLI does. */
function repo(name: string, files: Record<string, string>, links: Record<string, string>): string {
  const dir = join(top, name);
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  for (const [p, target] of Object.entries(links)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    symlinkSync(target, join(dir, p));
  }
  return dir;
}

function failure(run: () => unknown): string {
  try {
    const out = run();
    return `built: ${JSON.stringify(out)}`;
  } catch (err) {
    expect(err).toBeInstanceOf(KustomizeError);
    return (err as Error).message;
  }
}

describe.skipIf(process.platform === 'win32')('symbolic links and the load restrictor', () => {
  it('refuses a resource that links to a file outside the kustomization', () => {
    const dir = repo(
      'resource',
      { 'kustomization.yaml': 'resources:\n- cm.yaml\n' },
      { 'cm.yaml': join(outside, 'cm.yaml') },
    );
    const { fs, path } = openDirectory(dir, top, 'disk');
    const message = failure(() => build(fs, path));
    expect(message).toMatch(/security; file .*cm\.yaml' is not in or below .* symbolic link/);
    expect(message).not.toContain(SECRET);
  });

  it('refuses generator files that link out, directly or through a linked directory', () => {
    const direct = repo(
      'generator',
      { 'kustomization.yaml': 'configMapGenerator:\n- name: env\n  files:\n  - env.txt\n' },
      { 'env.txt': join(outside, 'env.txt') },
    );
    const viaDir = repo(
      'generator-dir',
      { 'kustomization.yaml': 'secretGenerator:\n- name: env\n  files:\n  - conf/env.txt\n' },
      { conf: outside },
    );
    for (const dir of [direct, viaDir]) {
      const { fs, path } = openDirectory(dir, top, 'disk');
      const message = failure(() => build(fs, path));
      expect(message).toMatch(/security; file .*env\.txt' is not in or below/);
      expect(message).not.toContain(SECRET);
    }
  });

  it('keeps a build confined to its source tree (the editor preview) when a linked directory leads out', () => {
    const dir = repo('confined', { 'kustomization.yaml': 'resources:\n- conf/cm.yaml\n' }, { conf: outside });
    const message = failure(() => fluxBuild(new NodeFs(dir), '', {}));
    expect(message).toMatch(/outside the root/);
    expect(message).not.toContain(SECRET);
  });

  it('still follows links that stay inside the kustomization', () => {
    const dir = repo(
      'inside',
      {
        'kustomization.yaml': 'resources:\n- current.yaml\n',
        'v2/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n',
      },
      { 'current.yaml': 'v2/cm.yaml' },
    );
    const { fs, path } = openDirectory(dir, top, 'disk');
    expect(build(fs, path).objects.map((o) => o.metadata.name)).toEqual(['ok']);
  });
});
