import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { HelmClient } from '../../helm/index.ts';
import {
  build,
  buildWithHelm,
  fluxBuild,
  type HelmTemplateRequest,
  type NodeFs,
  openDirectory,
  parseFluxKustomization,
  toYamlStream,
} from '../../kustomize/index.ts';
import { type Command, UsageError } from '../command.ts';

interface BuildArgs {
  dir: string | undefined;
  fluxFile: string | undefined;
  restrictor: 'rootOnly' | 'none';
  enableHelm: boolean;
}

function parse(args: string[]): BuildArgs {
  const [sub, ...rest] = args;
  if (sub !== 'build') throw new UsageError(sub === undefined ? 'missing subcommand' : `unknown subcommand '${sub}'`);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: {
        flux: { type: 'string' },
        'load-restrictor': { type: 'string', default: 'LoadRestrictionsRootOnly' },
        'enable-helm': { type: 'boolean', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  const restrictor = values['load-restrictor'];
  if (restrictor !== 'LoadRestrictionsRootOnly' && restrictor !== 'LoadRestrictionsNone') {
    throw new UsageError(`unknown load restrictor '${restrictor}'`);
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1] ?? ''}'`);
  return {
    dir: positionals[0],
    fluxFile: values.flux,
    restrictor: restrictor === 'LoadRestrictionsNone' ? 'none' : 'rootOnly',
    enableHelm: values['enable-helm'],
  };
}

/**
 * Renders one of the engine's helmCharts requests with Helm's own code (the helper): what `helm template` prints for
 * the chart directory on disk with the values kustomize would pass.
 */
export async function renderHelmChart(helm: HelmClient, fs: NodeFs, req: HelmTemplateRequest): Promise<string> {
  // realPath keeps the chart inside the build's root (a symbolic link out of it is refused, as for any file).
  const real = fs.realPath(req.chart);
  if (real === undefined) throw new Error(`helm chart '${req.chart}' is outside the build's root`);
  const result = await helm.call('template', {
    chart: { path: join(fs.root, real) },
    releaseName: req.releaseName,
    ...(req.namespace !== undefined && { namespace: req.namespace }),
    values: req.values,
    includeCRDs: req.includeCRDs,
    skipTests: req.skipTests,
    disableHooks: req.skipHooks,
    apiVersions: req.apiVersions,
    ...(req.kubeVersion !== undefined && { kubeVersion: req.kubeVersion }),
  });
  return result.output;
}

/**
 * `fluxdeck kustomize build DIR [--flux KUSTOMIZATION.yaml]`: prints the same YAML stream as `kubectl kustomize DIR`,
 * or, with --flux, what kustomize-controller would build for that Flux Kustomization (its path is ignored: DIR is
 * the path).
 */
export const kustomizeCommand: Command = {
  name: 'kustomize',
  summary: 'Build a kustomization like `kubectl kustomize` (optionally with a Flux Kustomization layered on top)',
  usage:
    'fluxdeck kustomize build DIR [--flux KUSTOMIZATION.yaml] [--load-restrictor LoadRestrictionsRootOnly|LoadRestrictionsNone] [--enable-helm]',
  run: async (args, io) => {
    const { dir, fluxFile, restrictor, enableHelm } = parse(args);
    if (fluxFile !== undefined) {
      if (enableHelm) {
        throw new UsageError(
          "--enable-helm does not apply with --flux: Flux's kustomize-controller never inflates helmCharts (use a HelmRelease)",
        );
      }
      const spec = parseFluxKustomization(readFileSync(fluxFile, 'utf8'), fluxFile);
      // Flux builds inside its source only, so DIR is the whole filesystem here.
      const { fs, path } = openDirectory(dir ?? '.', process.cwd(), 'dir');
      io.out(toYamlStream(fluxBuild(fs, path, spec)));
      return 0;
    }
    const { fs, path } = openDirectory(dir ?? '.', process.cwd(), 'disk');
    if (!enableHelm) {
      io.out(toYamlStream(build(fs, path, { loadRestrictor: restrictor }).objects));
      return 0;
    }
    const helm = new HelmClient();
    try {
      const { objects } = await buildWithHelm(
        (renderer) => build(fs, path, { loadRestrictor: restrictor, helm: renderer }),
        (req) => renderHelmChart(helm, fs, req),
      );
      io.out(toYamlStream(objects));
    } finally {
      await helm.dispose();
    }
    return 0;
  },
};
