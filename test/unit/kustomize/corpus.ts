// The differential corpus under test/fixtures/kustomize/: one directory per case, built at its root or at the
// sub-directory its BUILD file names. Cases named `error-*` must fail. A case holding an ENABLE_HELM file is built
// with Helm enabled on both sides (`kubectl kustomize --enable-helm`, our engine with the Helm helper).
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { renderHelmChart } from '../../../main/cli/commands/kustomize.ts';
import type { HelmClient } from '../../../main/helm/index.ts';
import { build, buildWithHelm, openDirectory, toYamlStream } from '../../../main/kustomize/index.ts';
import { ensureTool } from '../../tools/tools.ts';

export const fixtures = join(import.meta.dirname, '../../fixtures/kustomize');

export const cases = readdirSync(fixtures).sort();

/** The directory a case builds, relative to `root` (default: the corpus). */
export function caseDir(name: string, root = fixtures): string {
  const marker = join(root, name, 'BUILD');
  return existsSync(marker) ? join(name, readFileSync(marker, 'utf8').trim()) : name;
}

/** Whether a case is built with Helm enabled (an ENABLE_HELM file at its root). */
export function needsHelm(name: string, root = fixtures): boolean {
  return existsSync(join(root, name, 'ENABLE_HELM'));
}

const run = promisify(execFile);

let helmCommand: Promise<string> | undefined;

/**
 * The helm command kubectl runs: the helm built by test/tools/build.sh (v4) behind a wrapper that reports a v3
 * version, because kustomize v5.5 refuses any other major version before it runs `helm template`.
 */
export function kubectlHelmCommand(): Promise<string> {
  helmCommand ??= ensureTool('helm').then((helm) => {
    const wrapper = join(mkdtempSync(join(tmpdir(), 'fluxdeck-kust-helm-')), 'helm');
    writeFileSync(
      wrapper,
      `#!/bin/sh\nif [ "$1" = version ]; then echo v3.99.0; exit 0; fi\nexec ${JSON.stringify(helm)} "$@"\n`,
    );
    chmodSync(wrapper, 0o755);
    return wrapper;
  });
  return helmCommand;
}

/** kubectl's output, or its failure. The alias bomb would exhaust memory, so kubectl runs under limits. */
export async function kubectlKustomize(
  dir: string,
  options: { helmCommand?: string } = {},
): Promise<{ ok: true; out: string } | { ok: false; err: string }> {
  const helm = options.helmCommand ? ['--enable-helm', '--helm-command', options.helmCommand] : [];
  try {
    const { stdout } = await run('prlimit', ['--as=2147483648', '--', 'kubectl', 'kustomize', ...helm, dir], {
      timeout: 30_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { ok: true, out: stdout };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { ok: false, err: (e.stderr ?? e.message).trim() };
  }
}

/** Our engine's output for a case directory (with the Helm helper when `helm` is given), or its failure. */
export async function engineKustomize(
  root: string,
  dir: string,
  helm?: HelmClient,
): Promise<{ ok: true; out: string } | { ok: false; err: unknown }> {
  try {
    const { fs, path } = openDirectory(dir, root, 'disk');
    const { objects } = helm
      ? await buildWithHelm(
          (renderer) => build(fs, path, { helm: renderer }),
          (req) => renderHelmChart(helm, fs, req),
        )
      : build(fs, path);
    return { ok: true, out: toYamlStream(objects) };
  } catch (err) {
    return { ok: false, err };
  }
}
