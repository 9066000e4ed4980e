// The differential corpus under test/fixtures/kustomize/: one directory per case, built at its root or at the
// sub-directory its BUILD file names. Cases named `error-*` must fail.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const fixtures = join(import.meta.dirname, '../../fixtures/kustomize');

export const cases = readdirSync(fixtures).sort();

/** The directory a case builds, relative to `fixtures`. */
export function caseDir(name: string): string {
  const marker = join(fixtures, name, 'BUILD');
  return existsSync(marker) ? join(name, readFileSync(marker, 'utf8').trim()) : name;
}
