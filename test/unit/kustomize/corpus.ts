// The differential corpus under test/fixtures/kustomize/: one directory per case, built at its root or at the
// sub-directory its BUILD file names. Cases named `error-*` must fail.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const fixtures = join(import.meta.dirname, '../../fixtures/kustomize');

export const cases = readdirSync(fixtures).sort();

/** The directory a case builds, relative to `root` (default: the corpus). */
export function caseDir(name: string, root = fixtures): string {
  const marker = join(root, name, 'BUILD');
  return existsSync(marker) ? join(name, readFileSync(marker, 'utf8').trim()) : name;
}

const run = promisify(execFile);

/** kubectl's output, or its failure. The alias bomb would exhaust memory, so kubectl runs under limits. */
export async function kubectlKustomize(dir: string): Promise<{ ok: true; out: string } | { ok: false; err: string }> {
  try {
    const { stdout } = await run('prlimit', ['--as=2147483648', '--', 'kubectl', 'kustomize', dir], {
      timeout: 30_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { ok: true, out: stdout };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { ok: false, err: (e.stderr ?? e.message).trim() };
  }
}
