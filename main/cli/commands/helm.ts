import { join } from 'node:path';

import { type PreviewDeps, previewHelmRelease } from '../../controllers/helmrelease/preview.ts';
import { renderHelmRelease } from '../../controllers/helmrelease/render.ts';
import type { HelmRelease } from '../../flux/helm.ts';
import { fluxKinds } from '../../flux/kinds.ts';
import { HelmClient } from '../../helm/index.ts';
import { kubeconfigYamlFor } from '../../kube/kubeconfig-yaml.ts';
import { ArtifactStore } from '../../sources/artifacts/artifact-store.ts';
import { defaultDataDir } from '../../util/paths.ts';
import { type ClusterFlags, namespaceOf, openWithConfig, parseCommand } from '../cluster-flags.ts';
import { type CliIO, type Command, UsageError } from '../command.ts';
import { reportChanges } from './diff-objects.ts';

/**
 * `fluxdeck helm template NAME` and `fluxdeck diff helmrelease NAME`: a HelmRelease rendered exactly as the
 * controller would release it (controllers/helmrelease/render.ts), from the cluster: its chart source's artifact in
 * this machine's store (`--data-dir`, where `fluxdeck run` and the app keep it) or `--chart PATH`, values merged in
 * Flux's order from the cluster's ConfigMaps and Secrets, Flux's post-renderers applied.
 */

const renderFlags = {
  chart: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

interface Opened {
  deps: PreviewDeps;
  hr: HelmRelease | undefined;
  close(): Promise<void>;
}

async function openRelease(flags: ClusterFlags, name: string, values: Record<string, unknown>): Promise<Opened> {
  const { client, config } = await openWithConfig(flags);
  const helm = new HelmClient();
  const dataDir = typeof values['data-dir'] === 'string' ? values['data-dir'] : defaultDataDir();
  const deps: PreviewDeps = {
    client,
    helm,
    store: new ArtifactStore({ root: join(dataDir, 'artifacts') }),
    kubeAccess: () => ({ kubeconfig: kubeconfigYamlFor(config, client.context), context: client.context }),
  };
  try {
    const hr = await client.tryGet<HelmRelease>({
      apiVersion: fluxKinds.HelmRelease.apiVersion,
      kind: 'HelmRelease',
      namespace: namespaceOf(flags),
      name,
    });
    return {
      deps,
      hr,
      close: async () => {
        client.close();
        await helm.dispose();
      },
    };
  } catch (err) {
    client.close();
    await helm.dispose();
    throw err;
  }
}

function notFound(io: CliIO, flags: ClusterFlags, name: string): number {
  io.err(`✗ HelmRelease ${namespaceOf(flags)}/${name} not found\n`);
  return 1;
}

export const helmCommand: Command = {
  name: 'helm',
  summary: 'Render a HelmRelease exactly as the controller would (helm template, values merged, post-renderers)',
  usage:
    'fluxdeck helm template NAME [-n NS] [--chart PATH] [--include-crds] [--show-values] [--data-dir D] [--kubeconfig F] [--context C]',
  run: async (args, io) => {
    const { flags, values, positionals } = parseCommand(args, {
      ...renderFlags,
      'include-crds': { type: 'boolean' },
      'show-values': { type: 'boolean' },
    });
    const [sub, name, extra] = positionals;
    if (sub !== 'template')
      throw new UsageError(sub === undefined ? 'missing subcommand' : `unknown subcommand '${sub}'`);
    if (!name) throw new UsageError('helm template: NAME (a HelmRelease) is required');
    if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
    const opened = await openRelease(flags, name, values);
    try {
      if (!opened.hr) return notFound(io, flags, name);
      const chartPath = values.chart as string | undefined;
      const r = await renderHelmRelease(opened.deps, opened.hr, {
        signal: io.signal,
        ...(chartPath ? { chartPath } : {}),
        ...(values['include-crds'] === true ? { includeCRDs: true } : {}),
      });
      io.err(
        `# ${r.target.namespace}/${r.target.releaseName}: chart ${r.chart.name}@${r.chart.version} from ${r.chartFrom}, values ${r.configDigest}\n`,
      );
      // The merged values may hold Secret data: printed only when asked for, as `helm get values` does.
      if (values['show-values'] === true) io.err(`# values:\n${JSON.stringify(r.values, null, 2)}\n`);
      io.out(r.output);
      return 0;
    } finally {
      await opened.close();
    }
  },
};

/**
 * `fluxdeck diff helmrelease NAME`: what an upgrade would change, as `flux diff` reports it: the render dry-run
 * applied as helm-controller against the live objects, plus what the deployed release has that the render dropped.
 * Exit code 1 when something would change.
 */
export async function runDiffHelmRelease(args: string[], io: CliIO): Promise<number> {
  const { flags, values, positionals } = parseCommand(args, renderFlags);
  const [name, extra] = positionals;
  if (!name) throw new UsageError('diff helmrelease: NAME is required');
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
  const opened = await openRelease(flags, name, values);
  try {
    if (!opened.hr) return notFound(io, flags, name);
    const chartPath = values.chart as string | undefined;
    const preview = await previewHelmRelease(opened.deps, opened.hr, {
      signal: io.signal,
      ...(chartPath ? { chartPath } : {}),
    });
    const { rendered } = preview;
    const against = preview.revision ? `release revision ${preview.revision}` : 'no installed release';
    io.err(`# chart ${rendered.chart.name}@${rendered.chart.version} from ${rendered.chartFrom}, against ${against}\n`);
    const differences = reportChanges(io, { ...preview, deleted: preview.removed });
    if (differences === 0) io.err(`✔ no changes (${preview.diffs.length} objects)\n`);
    return differences > 0 ? 1 : 0;
  } finally {
    await opened.close();
  }
}
