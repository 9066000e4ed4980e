/**
 * The Setters strategy over a set of files: every `.yaml`/`.yml` file under `update.path` that contains the marker
 * token (Flux's screening reader) goes through the setters; files that are not YAML are skipped and reported.
 */
import type { FileChanges } from '../../images/commit-message.ts';
import { applySetters, type PolicyRefs, SETTER_TOKEN, YamlSyntaxError } from '../../images/setters.ts';

export interface FileEdit {
  /** `/`-separated, relative to the work tree root. */
  path: string;
  before: string;
  after: string;
}

export interface SettersRun {
  edits: FileEdit[];
  changes: FileChanges;
  /** Files with marker tokens that are not YAML: `path:line: message`. */
  skipped: string[];
  /** Markers left alone: `path:line: why`. */
  notes: string[];
}

/** A file of the tree being updated. */
export interface RepoFile {
  /** `/`-separated, relative to the repository root. */
  path: string;
  text: string;
}

/** Applies the markers of every screened file; the files are the YAML files under `update.path`, sorted. */
export function applySettersToFiles(files: Iterable<RepoFile>, policies: PolicyRefs): SettersRun {
  const run: SettersRun = { edits: [], changes: new Map(), skipped: [], notes: [] };
  for (const { path: rel, text: before } of files) {
    if (!before.includes(SETTER_TOKEN)) continue;
    let result;
    try {
      result = applySetters(before, policies);
    } catch (err) {
      if (!(err instanceof YamlSyntaxError)) throw err;
      run.skipped.push(`${rel}:${err.line}: ${err.message}`);
      continue;
    }
    for (const n of result.notes) run.notes.push(`${rel}:${n.line}: ${n.message}`);
    if (result.changes.length === 0) continue;
    run.edits.push({ path: rel, before, after: result.text });
    run.changes.set(
      rel,
      result.changes.map(({ object, change }) => ({ object, change })),
    );
  }
  return run;
}
