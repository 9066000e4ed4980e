import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';

import { build, fluxBuild, NodeFs, parseFluxKustomization, toYamlStream } from '../../kustomize/index.ts';
import { type Command, UsageError } from '../command.ts';

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
    const [sub, ...rest] = args;
    if (sub !== 'build') throw new UsageError(sub === undefined ? 'missing subcommand' : `unknown subcommand '${sub}'`);
    let dir: string | undefined;
    let fluxFile: string | undefined;
    let restrictor: 'rootOnly' | 'none' = 'rootOnly';
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i]!;
      if (a === '--flux') fluxFile = rest[++i];
      else if (a.startsWith('--flux=')) fluxFile = a.slice('--flux='.length);
      else if (a === '--load-restrictor' || a.startsWith('--load-restrictor=')) {
        const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : rest[++i];
        if (v === 'LoadRestrictionsNone') restrictor = 'none';
        else if (v !== 'LoadRestrictionsRootOnly') throw new UsageError(`unknown load restrictor '${v ?? ''}'`);
      } else if (a.startsWith('-')) throw new UsageError(`unknown flag '${a}'`);
      else if (dir === undefined) dir = a;
      else throw new UsageError(`unexpected argument '${a}'`);
    }
    if (fluxFile === undefined && rest.includes('--flux')) throw new UsageError('--flux needs a file');
    const target = resolve(dir ?? '.');
    if (fluxFile !== undefined) {
      const spec = parseFluxKustomization(readFileSync(fluxFile, 'utf8'), fluxFile);
      const fs = new NodeFs(target);
      io.out(toYamlStream(fluxBuild(fs, '', spec)));
      return Promise.resolve(0);
    }
    // The filesystem is rooted at the filesystem root so `../base` works; the restrictor still confines files.
    const fs = new NodeFs('/');
    const { objects } = build(fs, relative('/', target), { loadRestrictor: restrictor });
    io.out(toYamlStream(objects));
    return Promise.resolve(0);
  },
};
