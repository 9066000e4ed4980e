import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { build, fluxBuild, openDirectory, parseFluxKustomization, toYamlStream } from '../../kustomize/index.ts';
import { type Command, UsageError } from '../command.ts';

interface BuildArgs {
  dir: string | undefined;
  fluxFile: string | undefined;
  restrictor: 'rootOnly' | 'none';
}

function parse(args: string[]): BuildArgs {
  const [sub, ...rest] = args;
  if (sub !== 'build') throw new UsageError(sub === undefined ? 'missing subcommand' : `unknown subcommand '${sub}'`);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { flux: { type: 'string' }, 'load-restrictor': { type: 'string', default: 'LoadRestrictionsRootOnly' } },
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
  };
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
    'fluxdeck kustomize build DIR [--flux KUSTOMIZATION.yaml] [--load-restrictor LoadRestrictionsRootOnly|LoadRestrictionsNone]',
  run: (args, io) => {
    const { dir, fluxFile, restrictor } = parse(args);
    if (fluxFile !== undefined) {
      const spec = parseFluxKustomization(readFileSync(fluxFile, 'utf8'), fluxFile);
      // Flux builds inside its source only, so DIR is the whole filesystem here.
      const { fs, path } = openDirectory(dir ?? '.', process.cwd(), 'dir');
      io.out(toYamlStream(fluxBuild(fs, path, spec)));
      return Promise.resolve(0);
    }
    const { fs, path } = openDirectory(dir ?? '.', process.cwd(), 'disk');
    io.out(toYamlStream(build(fs, path, { loadRestrictor: restrictor }).objects));
    return Promise.resolve(0);
  },
};
