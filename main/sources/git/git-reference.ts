/**
 * `spec.ref` of a GitRepository: which ref wins (commit > name > semver > tag > branch, default branch `master`), how
 * the remote refs resolve it, and the revision string Flux writes for it (`fluxcd/pkg/git` Commit.String and
 * AbsoluteReference): `main@sha1:<hex>`, `v1.2.3@sha1:<hex>`, `refs/pull/1/head@sha1:<hex>`, or `sha1:<hex>`.
 */
import { fetchFailed, SourceReason } from '../source-error.ts';
import { parseTagVersion, SemverRange } from './semver-range.ts';

export interface GitRef {
  branch?: string;
  tag?: string;
  semver?: string;
  name?: string;
  commit?: string;
}

/** What to fetch, decided from spec.ref alone. */
export type RefPlan =
  | { kind: 'branch'; fullRef: string }
  | { kind: 'tag'; fullRef: string }
  | { kind: 'semver'; range: SemverRange }
  | { kind: 'name'; fullRef: string }
  | { kind: 'commit'; commit: string; branchRef?: string };

export const DEFAULT_BRANCH = 'master';

export function planRef(ref: GitRef | undefined): RefPlan {
  const r = ref ?? {};
  if (r.commit) {
    if (!/^[0-9a-f]{40}$/i.test(r.commit)) {
      throw fetchFailed(
        SourceReason.GitOperationFailed,
        `spec.ref.commit '${r.commit}' is not a full 40-character SHA-1; write the whole commit hash`,
        undefined,
        true,
      );
    }
    return {
      kind: 'commit',
      commit: r.commit.toLowerCase(),
      ...(r.branch ? { branchRef: `refs/heads/${r.branch}` } : {}),
    };
  }
  if (r.name) return { kind: 'name', fullRef: r.name };
  if (r.semver) {
    try {
      return { kind: 'semver', range: SemverRange.parse(r.semver) };
    } catch (err) {
      throw fetchFailed(
        SourceReason.GitOperationFailed,
        `semver parse error: spec.ref.semver '${r.semver}': ${(err as Error).message}`,
        err,
        true,
      );
    }
  }
  if (r.tag) return { kind: 'tag', fullRef: `refs/tags/${r.tag}` };
  return { kind: 'branch', fullRef: `refs/heads/${r.branch || DEFAULT_BRANCH}` };
}

/** A remote ref with the commit it finally points at (`peeled` for annotated tags). */
export interface RemoteRef {
  ref: string;
  oid: string;
  peeled?: string;
}

/** The resolved target of a plan: the remote ref (empty for a bare commit) and the object to want. */
export interface Target {
  fullRef: string;
  /** The object the ref points at (an annotated tag object for tags); the commit itself for commit refs. */
  oid: string;
  /** The commit, when the ref listing already tells (peeled tags, branches). */
  commit?: string;
}

/** Picks the highest tag matching the range (Flux's cloneSemVer); ties keep the lexically last tag name. */
export function pickSemverTag(refs: RemoteRef[], range: SemverRange): RemoteRef | undefined {
  let best: { ref: RemoteRef; v: NonNullable<ReturnType<typeof parseTagVersion>> } | undefined;
  for (const r of refs) {
    if (!r.ref.startsWith('refs/tags/') || r.ref.endsWith('^{}')) continue;
    const v = parseTagVersion(r.ref.slice('refs/tags/'.length));
    if (!v || !range.test(v)) continue;
    const c = best ? v.compare(best.v) : 1;
    if (c > 0 || (c === 0 && best && r.ref > best.ref.ref)) best = { ref: r, v };
  }
  return best?.ref;
}

/** Short form of a full ref for revision strings: `refs/heads/main` → `main` (Go's SplitAfterN(ref, "/", 3)[2]). */
export function shortRef(fullRef: string): string {
  const parts = fullRef.split('/');
  return parts.length >= 3 ? parts.slice(2).join('/') : fullRef;
}

/** The revision string Flux records for this plan and commit. */
export function revisionFor(plan: RefPlan, fullRef: string, commit: string): string {
  if (plan.kind === 'name') return `${fullRef}@sha1:${commit}`;
  if (plan.kind === 'commit' && !plan.branchRef) return `sha1:${commit}`;
  return `${shortRef(fullRef)}@sha1:${commit}`;
}

/**
 * The commit hash in a revision string, tolerating the legacy `main/<sha>` form next to `main@sha1:<sha>` and
 * `sha1:<sha>` (Flux's Artifact.HasRevision does the same).
 */
export function commitOfRevision(revision: string | undefined): string | undefined {
  if (!revision) return undefined;
  const m = /(?:^|@|\/)(?:sha1:)?([0-9a-f]{40})$/.exec(revision);
  return m?.[1];
}

/** Human name of what the plan asks for, for messages. */
export function describePlan(plan: RefPlan): string {
  switch (plan.kind) {
    case 'branch':
      return `branch '${shortRef(plan.fullRef)}'`;
    case 'tag':
      return `tag '${shortRef(plan.fullRef)}'`;
    case 'semver':
      return `a tag matching semver '${plan.range.source}'`;
    case 'name':
      return `ref '${plan.fullRef}'`;
    case 'commit':
      return plan.branchRef ? `commit ${plan.commit} on branch '${shortRef(plan.branchRef)}'` : `commit ${plan.commit}`;
  }
}
