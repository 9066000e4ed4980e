/**
 * What goes into a source artifact: Flux's `.sourceignore` rules (fluxcd/pkg `sourceignore` and source-controller's
 * `SourceIgnoreFilter`), reproduced exactly, including the surprising rule that the default exclusions (images, CI
 * files, `.sops.yaml`, ...) are dropped as soon as there is ANY user pattern, from any `.sourceignore` file or from
 * `spec.ignore`. Only the VCS patterns always apply.
 */
import { IgnoreMatcher, type IgnorePattern, parsePattern, readPatterns } from './ignore-pattern.ts';

export const IGNORE_FILE = '.sourceignore';
const EXCLUDE_VCS = '.git/,.gitignore,.gitmodules,.gitattributes';
const EXCLUDE_EXT = '*.jpg,*.jpeg,*.gif,*.png,*.wmv,*.flv,*.tar.gz,*.zip';
const EXCLUDE_CI =
  '.github/,.circleci/,.travis.yml,.gitlab-ci.yml,appveyor.yml,.drone.yml,cloudbuild.yaml,codeship-services.yml,codeship-steps.yml';
const EXCLUDE_EXTRA = '**/.goreleaser.yml,**/.sops.yaml,**/.flux.yaml';

const vcsPatterns = (): IgnorePattern[] => EXCLUDE_VCS.split(',').map((p) => parsePattern(p));
const defaultPatterns = (): IgnorePattern[] =>
  [EXCLUDE_EXT, EXCLUDE_CI, EXCLUDE_EXTRA]
    .join(',')
    .split(',')
    .map((p) => parsePattern(p));

/** The directory view the loader walks: names of a directory's entries and the text of a file, if any. */
export interface IgnoreTree {
  /** Entries of a directory ('' is the root), in any order. */
  entries(dir: string): { name: string; isDir: boolean }[];
  /** Contents of a regular file, or undefined if there is none at that path. */
  readText(path: string): string | undefined;
}

/**
 * Loads `.sourceignore` patterns recursively: the root file first, then each subdirectory depth-first in byte order
 * of names (Go's os.ReadDir order), skipping `.git`. A file in `a/b/` is scoped to the domain `['a', 'b']`.
 */
export function loadIgnorePatterns(tree: IgnoreTree, dir = '', domain: string[] = []): IgnorePattern[] {
  const out: IgnorePattern[] = [];
  const text = tree.readText(dir ? `${dir}/${IGNORE_FILE}` : IGNORE_FILE);
  if (text !== undefined) out.push(...readPatterns(text, domain));
  const subdirs = tree
    .entries(dir)
    .filter((e) => e.isDir && e.name !== '.git')
    .map((e) => e.name)
    .sort(compareBytes);
  for (const name of subdirs) {
    out.push(...loadIgnorePatterns(tree, dir ? `${dir}/${name}` : name, [...domain, name]));
  }
  return out;
}

/**
 * The matcher source-controller archives with: VCS + defaults when there are no user patterns, otherwise VCS + the
 * user patterns (`.sourceignore` files first, `spec.ignore` last, so `spec.ignore` wins).
 */
export function sourceIgnoreMatcher(filePatterns: IgnorePattern[], specIgnore?: string): IgnoreMatcher {
  const user = [...filePatterns, ...(specIgnore === undefined ? [] : readPatterns(specIgnore))];
  return new IgnoreMatcher(user.length > 0 ? [...vcsPatterns(), ...user] : [...vcsPatterns(), ...defaultPatterns()]);
}

/** Byte-wise comparison of names (Go sorts directory entries by bytes, not by locale). */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
