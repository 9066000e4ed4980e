import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { kubeconfigFlagPaths, openFromFlags } from '../../../main/cli/cluster-flags.ts';
import { UsageError } from '../../../main/cli/command.ts';

describe('kubeconfig flags', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fluxdeck-kubeconfig-flags-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('refuses a --kubeconfig that does not exist, as kubectl does', () => {
    expect(() => kubeconfigFlagPaths({ kubeconfig: join(dir, 'missing.yaml') })).toThrow(UsageError);
    expect(() => kubeconfigFlagPaths({ kubeconfig: join(dir, 'missing.yaml') })).toThrow(/missing\.yaml: no such file/);
  });

  it('names the file and what is wrong with it instead of "no current-context"', async () => {
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'apiVersion: v1\nkind: Config\nclusters: [\n');
    await expect(openFromFlags({ kubeconfig: broken })).rejects.toThrow(/broken\.yaml:\d+: invalid YAML/);
    const folder = join(dir, 'folder');
    await mkdir(folder);
    await expect(openFromFlags({ kubeconfig: folder })).rejects.toThrow(/cannot read .*folder: EISDIR/);
  });
});
