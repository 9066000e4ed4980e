import { resolve } from 'node:path';

import { buildKustomization } from '../../controllers/kustomization/build.ts';
import { previewKustomization } from '../../controllers/kustomization/preview.ts';
import { substitutionVariables } from '../../controllers/kustomization/variables.ts';
import { fluxKinds } from '../../flux/kinds.ts';
import type { Kustomization } from '../../flux/kustomize.ts';
import { WorkerPool } from '../../kustomize/index.ts';
import { namespaceOf, openFromFlags, parseCommand } from '../cluster-flags.ts';
import { type Command, UsageError } from '../command.ts';
import { runDiffArtifact } from './artifact.ts';
import { reportChanges } from './diff-objects.ts';
import { runDiffHelmRelease } from './helm.ts';

/**
 * `fluxdeck diff helmrelease NAME`: see helm.ts.
 * `fluxdeck diff kustomization NAME --path DIR`: builds DIR as the Kustomization would (its Flux fields and
 * post-build variables from the cluster) and prints what applying it would change, as `flux diff` does. Exit code 1
 * when something would change (for CI), 2 on usage errors.
 */
export const diffCommand: Command = {
  name: 'diff',
  summary: 'Show what a local directory, an OCI artifact or a HelmRelease upgrade would change (flux diff)',
  usage:
    'fluxdeck diff kustomization NAME --path DIR [-n NS] [--kubeconfig F] [--context C]\n       fluxdeck diff artifact oci://REGISTRY/REPO:TAG --path DIR [--ignore-paths P,...] [--creds USER:PASS] [--insecure-registry]\n       fluxdeck diff helmrelease NAME [-n NS] [--chart PATH] [--data-dir D] [--kubeconfig F] [--context C]',
  run: async (args, io) => {
    if (args[0] === 'artifact') return runDiffArtifact(args, io);
    if (args[0] === 'helmrelease' || args[0] === 'hr') return runDiffHelmRelease(args.slice(1), io);
    const { flags, values, positionals } = parseCommand(args, { path: { type: 'string' } });
    const [kind, name] = positionals;
    if (kind !== 'kustomization' && kind !== 'ks')
      throw new UsageError('diff: use `diff kustomization NAME`, `diff helmrelease NAME` or `diff artifact URL`');
    if (!name) throw new UsageError('diff kustomization: NAME is required');
    const path = values.path as string | undefined;
    if (!path)
      throw new UsageError(
        'diff kustomization: --path DIR is required (the local directory that would be the Kustomization path)',
      );
    const client = await openFromFlags(flags);
    const builds = new WorkerPool({ size: 1 });
    try {
      const key = {
        apiVersion: fluxKinds.Kustomization.apiVersion,
        kind: 'Kustomization',
        namespace: namespaceOf(flags),
        name,
      };
      const ks = await client.tryGet<Kustomization>(key, { signal: io.signal });
      if (!ks) {
        io.err(`✗ Kustomization ${key.namespace}/${name} not found\n`);
        return 1;
      }
      const vars = await substitutionVariables(client, ks, io.signal);
      // DIR is the Kustomization's path itself: the build's root, with spec.path pointing at it.
      const local = { ...ks, spec: { ...ks.spec, path: './' } };
      const objects = await buildKustomization(
        builds,
        local,
        { root: resolve(path) },
        {
          ...(vars && { vars }),
          signal: io.signal,
        },
      );
      const preview = await previewKustomization(client, ks, objects, io.signal);
      const differences = reportChanges(io, { ...preview, deleted: preview.pruned });
      if (differences === 0) io.err(`✔ no changes (${objects.length} objects)\n`);
      return differences > 0 ? 1 : 0;
    } finally {
      client.close();
      await builds.close();
    }
  },
};
