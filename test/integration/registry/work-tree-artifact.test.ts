// "Push this directory as an artifact" from the editor's work tree, against the real distribution registry: the flux
// CLI pulls what was pushed and lists the work tree's repository and head as its source and revision; paths that
// leave the work tree and registries that refuse the credentials get errors that say what to do.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { WorkTreeStatus } from '../../../main/contract/index.ts';
import { pushWorkTreeArtifact } from '../../../main/workbench/work-tree-artifact.ts';
import type { PreviewStep } from '../../../main/workbench/workbench.ts';
import { type RegistryServer, startRegistry } from '../../support/registry.ts';
import { ensureTool } from '../../tools/tools.ts';

const run = promisify(execFile);
const HEAD = '0123456789abcdef0123456789abcdef01234567';
const status: WorkTreeStatus = {
  branch: 'main',
  head: HEAD,
  remoteHead: HEAD,
  ahead: 0,
  changes: [
    { path: 'apps/web/deploy.yaml', change: 'modified' },
    { path: 'infra/ns.yaml', change: 'added' },
  ],
};

let registry: RegistryServer;
let secured: RegistryServer;
let flux: string;
let root: string;

beforeAll(async () => {
  [registry, secured, flux] = await Promise.all([
    startRegistry(),
    startRegistry({ htpasswd: true }),
    ensureTool('flux'),
  ]);
  root = await mkdtemp(join(tmpdir(), 'fluxdeck-wt-artifact-'));
  await mkdir(join(root, 'apps/web'), { recursive: true });
  await mkdir(join(root, 'infra'), { recursive: true });
  await writeFile(join(root, 'apps/web/deploy.yaml'), 'kind: Deployment\n');
  await writeFile(join(root, 'apps/web/kustomization.yaml'), 'resources: [deploy.yaml]\n');
  await writeFile(join(root, 'infra/ns.yaml'), 'kind: Namespace\n');
  await symlink(tmpdir(), join(root, 'outside'));
});

afterAll(async () => {
  await Promise.all([registry.stop(), secured.stop()]);
  await rm(root, { recursive: true, force: true });
});

const push = (dir: string, url: string, steps: PreviewStep[] = []) =>
  pushWorkTreeArtifact(
    { root, source: 'https://git.example.com/fleet.git', status, dir, url, insecure: true },
    { signal: AbortSignal.timeout(30_000), onProgress: (s) => steps.push(s), access: { dockerConfig: '/nonexistent' } },
  );

describe('pushing a work tree directory as an OCI artifact', () => {
  it('pushes the directory with the repository and head as source and revision, step by step', async () => {
    const steps: PreviewStep[] = [];
    const result = await push('apps/web', `oci://${registry.host}/fleet/web:latest`, steps);
    expect(result).toMatchObject({
      tag: 'latest',
      repository: `${registry.host}/fleet/web`,
      files: 2,
      revision: `main@sha1:${HEAD}`,
      source: 'https://git.example.com/fleet.git',
      uncommitted: 1,
    });
    expect(steps.map((s) => s.message)).toEqual([
      `packing ${join(root, 'apps/web')}`,
      `uploading 2 files (${result.size} bytes) to ${registry.host}/fleet/web`,
      `tagging ${registry.host}/fleet/web:latest`,
      `pushed ${registry.host}/fleet/web:latest`,
    ]);

    const out = join(root, '..', `pulled-${Date.now()}`);
    await mkdir(out);
    try {
      await run(flux, [
        'pull',
        'artifact',
        `oci://${registry.host}/fleet/web:latest`,
        `--output=${out}`,
        '--insecure-registry',
      ]);
      expect(await readFile(join(out, 'deploy.yaml'), 'utf8')).toBe('kind: Deployment\n');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
    const { stdout } = await run(flux, [
      'list',
      'artifacts',
      `oci://${registry.host}/fleet/web`,
      '--insecure-registry',
    ]);
    expect(stdout).toContain(result.digest);
    expect(stdout).toContain(`main@sha1:${HEAD}`);
    expect(stdout).toContain('https://git.example.com/fleet.git');
  });

  it('pushes the whole work tree for "."', async () => {
    const result = await push('.', `oci://${registry.host}/fleet/all:v1`);
    expect(result.files).toBe(3);
    expect(result.uncommitted).toBe(2);
  });

  it('refuses paths outside the work tree, through .. or a symbolic link, and files', async () => {
    const url = `oci://${registry.host}/fleet/x:v1`;
    await expect(push('../etc', url)).rejects.toThrow(/'\.\.' is not allowed/);
    await expect(push('outside', url)).rejects.toThrow(/leads outside the work tree/);
    await expect(push('infra/ns.yaml', url)).rejects.toThrow(/is not a directory of the work tree/);
  });

  it('says the registry refused the credentials and how to log in', async () => {
    const refused = push('infra', `oci://${secured.host}/fleet/infra:v1`);
    await expect(refused).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(refused).rejects.toThrow(`docker login ${secured.host}`);
  });
});
