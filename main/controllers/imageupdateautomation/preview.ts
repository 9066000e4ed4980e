/**
 * What the next run of an ImageUpdateAutomation would commit, without committing: the same spec checks, branches,
 * policies and setters as the reconciler, in a throw-away clone. Used by `fluxdeck image preview`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ImagePolicy, ImageUpdateAutomation } from '../../flux/image.ts';
import { fluxKinds } from '../../flux/kinds.ts';
import type { GitRepository } from '../../flux/source.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import { secretData } from '../../kube/secrets.ts';
import { authFromSecret } from '../../sources/git/git-auth.ts';
import { parseGitUrl } from '../../sources/git/git-url.ts';
import { runGitUpdate } from './git-update.ts';
import { selectedPolicies } from './policy-selection.ts';
import { branchesOf, checkSourceAuth, checkSpec } from './reconcile.ts';
import type { SettersRun } from './update-files.ts';

export interface AutomationPreview {
  url: string;
  branch: string;
  head: string;
  run: SettersRun;
}

export async function previewAutomation(
  client: ClusterClient,
  ref: { namespace: string; name: string },
  signal: AbortSignal,
): Promise<AutomationPreview> {
  const a = await client.get<ImageUpdateAutomation>(
    { apiVersion: fluxKinds.ImageUpdateAutomation.apiVersion, kind: 'ImageUpdateAutomation', ...ref },
    { signal },
  );
  checkSpec(a);
  const src = a.spec.sourceRef;
  const repo = await client.get<GitRepository>(
    {
      apiVersion: fluxKinds.GitRepository.apiVersion,
      kind: 'GitRepository',
      namespace: src.namespace ?? ref.namespace,
      name: src.name,
    },
    { signal },
  );
  checkSourceAuth(repo);
  const branches = branchesOf(a, repo);
  const policies = await client.list<ImagePolicy>(
    { apiVersion: fluxKinds.ImagePolicy.apiVersion, kind: 'ImagePolicy' },
    { namespace: ref.namespace, signal },
  );
  const { refs } = selectedPolicies(policies.items, a.spec.policySelector);
  const secret = repo.spec.secretRef;
  const ns = repo.metadata.namespace ?? '';
  const auth = secret
    ? authFromSecret(
        parseGitUrl(repo.spec.url),
        await secretData(client, ns, secret.name, signal),
        `${ns}/${secret.name}`,
      )
    : undefined;
  const dir = await mkdtemp(join(tmpdir(), 'fluxdeck-image-preview-'));
  try {
    const result = await runGitUpdate(
      {
        dir: join(dir, 'clone'),
        url: repo.spec.url,
        auth,
        checkout: branches.checkout,
        pushBranch: branches.push,
        updatePath: a.spec.update?.path,
        policies: refs,
        author: { name: 'preview', email: 'preview@fluxdeck.local' },
        message: () => '',
        signal,
      },
      true,
    );
    return { url: repo.spec.url, branch: branches.push, head: result.head, run: result.run };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
