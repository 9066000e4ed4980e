// How `fluxdeck kustomize build DIR` names files: error messages show paths the way the user wrote DIR (relative to
// the current directory, or absolute), while `../base` and the load restrictor keep working. kubectl is the reference
// for the successful builds; the messages are our own wording, so they are asserted directly.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

import { describe, expect, it } from 'vitest';

import { build, KustomizeError, openDirectory, toYamlStream } from '../../../main/kustomize/index.ts';
import { caseDir, cases, fixtures } from './corpus.ts';

const run = promisify(execFile);
const outsideRoot = join(fixtures, 'error-file-outside-root');
const cli = join(import.meta.dirname, '../../../bin/fluxdeck.mjs');

/** Runs `fluxdeck ARGS` from the sources in `cwd`, expecting it to fail; its exit code and stderr. */
async function failingCli(args: string[], cwd: string): Promise<{ code: unknown; stderr: string }> {
  try {
    await run(process.execPath, [cli, ...args], { cwd, env: { ...process.env, FLUXDECK_FROM_SOURCE: '1' } });
  } catch (err) {
    return err as { code: unknown; stderr: string };
  }
  throw new Error(`fluxdeck ${args.join(' ')} should have failed`);
}

function buildError(dir: string, cwd: string): KustomizeError {
  const { fs, path } = openDirectory(dir, cwd, 'disk');
  try {
    build(fs, path);
  } catch (err) {
    if (err instanceof KustomizeError) return err;
    throw err;
  }
  throw new Error(`building ${dir} in ${cwd} should have failed`);
}

describe('messages name paths as the user gave the directory', () => {
  it('relative to the current directory, going up with ../ where the file is above it', () => {
    const err = buildError('.', join(outsideRoot, 'overlay'));
    expect(err.file).toBe('kustomization.yaml');
    expect(err.message).toBe(
      "kustomization.yaml: security; file '../outside.yaml' is not in or below '.' " +
        '(the load restrictor allows only files inside the kustomization directory)',
    );
  });

  it('relative to the current directory for a directory below it', () => {
    const err = buildError('overlay', outsideRoot);
    expect(err.message).toMatch(
      /^overlay\/kustomization\.yaml: security; file 'outside\.yaml' is not in or below 'overlay' /,
    );
  });

  it('absolute when the directory was given as an absolute path', () => {
    const err = buildError(join(outsideRoot, 'overlay'), tmpdir());
    expect(err.file).toBe(join(outsideRoot, 'overlay', 'kustomization.yaml'));
    expect(err.message).toContain(`file '${join(outsideRoot, 'outside.yaml')}' is not in or below`);
  });

  const failing = cases.filter((c) => c.startsWith('error-'));
  it.each(failing)('%s: the file as given, never the path below the filesystem root', (name) => {
    const err = buildError(caseDir(name), fixtures);
    expect(err.file).toMatch(new RegExp(`^${name}(/|$)`));
    expect(err.message).not.toContain(relative('/', fixtures));
  });

  it('in the cycle and YAML syntax messages', () => {
    expect(buildError('error-cycle/a', fixtures).message).toContain(
      'cycle detected: error-cycle/b -> error-cycle/a -> error-cycle/b',
    );
    expect(buildError('error-yaml-syntax', fixtures).message).toMatch(/^error-yaml-syntax\/bad\.yaml:\d+:\d+: /);
  });
});

describe('a directory given relative to the current directory', () => {
  it('reaches ../base as kubectl does', async () => {
    const cwd = join(fixtures, 'overlay-staging', 'staging');
    const { stdout: reference } = await run('kubectl', ['kustomize', '.'], { cwd, maxBuffer: 16 * 1024 * 1024 });
    const { fs, path } = openDirectory('.', cwd, 'disk');
    expect(toYamlStream(build(fs, path).objects)).toBe(reference);
  });

  it('reads a file outside the kustomization with LoadRestrictionsNone, as kubectl does', async () => {
    const cwd = join(outsideRoot, 'overlay');
    const { stdout: reference } = await run('kubectl', ['kustomize', '--load-restrictor=LoadRestrictionsNone', '.'], {
      cwd,
    });
    const { fs, path } = openDirectory('.', cwd, 'disk');
    expect(toYamlStream(build(fs, path, { loadRestrictor: 'none' }).objects)).toBe(reference);
  });
});

describe('fluxdeck kustomize build', () => {
  it('prints the error with the path as typed and exits non-zero', async () => {
    const failed = await failingCli(['kustomize', 'build', 'overlay'], outsideRoot);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /^fluxdeck kustomize: overlay\/kustomization\.yaml: security; file 'outside\.yaml' is not in or below 'overlay' /,
    );
  });

  it('names paths relative to the current directory with --flux as well', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'fluxdeck-kustomize-paths-'));
    try {
      const flux = join(tmp, 'flux.yaml');
      writeFileSync(flux, 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nspec: {path: ./}\n');
      const failed = await failingCli(['kustomize', 'build', 'error-yaml-syntax', '--flux', flux], fixtures);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/^fluxdeck kustomize: error-yaml-syntax\/bad\.yaml:\d+:\d+: /);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
