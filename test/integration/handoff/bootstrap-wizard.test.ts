import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createFluxdeck, type Fluxdeck } from '../../../main/create-fluxdeck.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { Kustomization } from '../../../main/flux/kustomize.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import type { BootstrapStep } from '../../../main/workbench/index.ts';
import { type RunningCluster, startCluster } from '../../cluster/control-plane.ts';
import { clientFor, eventually } from '../../support/flux-fixture.ts';
import { commitFiles, type GitServer, startGitServer } from '../../support/git-server.ts';

// The desktop wizard's bootstrap as the app runs it (workbench.bootstrap, what `bootstrap:start` calls): into a
// cluster that is already connected and has no Flux CRDs yet. The session must notice the CRDs the bootstrap installs
// and start reconciling, so flux-system becomes Ready without reconnecting. A run cancelled while its clone waits on a
// stalled server answers `cancelled`, drops that request and pushes nothing; the retry after it (the next test)
// finishes the bootstrap.

const exec = promisify(execFile);
const AUTH = { username: 'fleet', password: 's3cret-pw' };

let c: RunningCluster;
let client: ClusterClient;
let git: GitServer;
let url: string;
let fluxdeck: Fluxdeck;
const dirs: string[] = [];

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fluxdeck-wizard-cluster-'));
  const dataDir = await mkdtemp(join(tmpdir(), 'fluxdeck-wizard-'));
  dirs.push(dir, dataDir);
  c = await startCluster({ name: 'wizard', dir, tier: 'api', ownerPid: process.pid });
  client = await clientFor(c.kubeconfig);
  git = await startGitServer({ auth: { basic: AUTH } });
  url = await git.createRepo('fleet');
  await commitFiles(git.repoPath('fleet'), {
    'clusters/wizard/apps/settings.yaml':
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: flux-system\ndata:\n  v: "1"\n',
  });
  fluxdeck = await createFluxdeck({
    kubeconfigPaths: [c.kubeconfig],
    dataDir,
    watchKubeconfigs: false,
    identity: 'wizard-test',
  });
  await fluxdeck.connect(c.name);
}, 120_000);

afterAll(async () => {
  await fluxdeck.stop();
  client.close();
  await git.close();
  await c.stop();
  await Promise.all([...dirs, git.root].map((d) => rm(d, { recursive: true, force: true })));
});

const request = () =>
  ({ cluster: c.name, url, branch: 'main', path: 'clusters/wizard', mode: 'desktop', credentials: AUTH }) as const;

describe('the wizard’s bootstrap of a connected cluster without Flux CRDs', () => {
  it('cancelled during the clone: answers cancelled with what to do, drops the clone’s request, pushes nothing', async () => {
    const steps: BootstrapStep[] = [];
    const held = git.hold();
    const run = fluxdeck.workbench.bootstrap.run(request(), {
      signal: AbortSignal.timeout(240_000),
      onStep: (s) => steps.push(s),
    });
    await held.arrived;
    expect(fluxdeck.workbench.bootstrap.cancel(c.name)).toBe(true);
    await expect(run).rejects.toMatchObject({
      code: 'cancelled',
      details: { hint: expect.stringMatching(/running the bootstrap again finishes it/) },
    });
    // The clone itself was aborted, not left to finish in the background: its request went away unanswered.
    await eventually('the clone’s request to be dropped', () => Promise.resolve(git.abandoned > 0 || undefined));
    held.release();
    // Nothing after the clone was reported: the run stopped there.
    expect(steps.map((s) => s.message)).toEqual([expect.stringMatching(/^cloning main of /)]);
    const tree = await exec('git', ['-C', git.repoPath('fleet'), 'ls-tree', '-r', '--name-only', 'main']);
    expect(tree.stdout).not.toContain('flux-system');
  });

  it('after the cancel, pushes flux-system, and the session starts reconciling once the CRDs exist: flux-system Ready', async () => {
    const role = (): string => fluxdeck.registry.session(c.name)?.status.role ?? 'no session';
    expect(role()).toBe('no-flux-crds');
    const steps: BootstrapStep[] = [];
    const result = await fluxdeck.workbench.bootstrap.run(request(), {
      signal: AbortSignal.timeout(240_000),
      onStep: (s) => steps.push(s),
    });
    expect(result.kustomization).toEqual({
      cluster: c.name,
      kind: 'Kustomization',
      namespace: 'flux-system',
      name: 'flux-system',
    });
    expect(steps.map((s) => s.message)).toEqual(
      expect.arrayContaining(['pushed to main', 'Flux CRDs ready', expect.stringMatching(/^bootstrap finished/)]),
    );
    expect(JSON.stringify(steps)).not.toContain(AUTH.password);
    await eventually('the session to reconcile', () => Promise.resolve(role() === 'reconciling' ? true : undefined));
    const head = (await exec('git', ['-C', git.repoPath('fleet'), 'rev-parse', 'main'])).stdout.trim();
    const ks = await client.get<Kustomization>({
      ...fluxKinds.Kustomization,
      namespace: 'flux-system',
      name: 'flux-system',
    });
    expect(ks.status?.lastAppliedRevision).toBe(`main@sha1:${head}`);
    expect(
      await client.tryGet({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'flux-system', name: 'settings' }),
    ).toBeDefined();
  });
});
