/**
 * The Setters strategy over a work tree: every `.yaml`/`.yml` file under `update.path` that contains the marker
 * token (Flux's screening reader) goes through the setters; files that change are written back, files that are not
 * YAML are skipped and reported. Nothing else is read or written.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

import type { FileChanges } from '../../images/commit-message.ts';
import { applySetters, type PolicyRef, SETTER_TOKEN, YamlSyntaxError } from '../../images/setters.ts';

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

async function* yamlFiles(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (e.name === '.git') continue;
    const abs = join(dir, e.name);
    if (e.isDirectory()) yield* yamlFiles(abs);
    else if (e.isFile() && /\.ya?ml$/.test(e.name)) yield abs;
  }
}

/** Applies the markers of every screened file under `root/path`; writes the changed files when `write`. */
export async function runSetters(
  root: string,
  path: string | undefined,
  policies: ReadonlyMap<string, PolicyRef>,
  write: boolean,
): Promise<SettersRun> {
  const run: SettersRun = { edits: [], changes: new Map(), skipped: [], notes: [] };
  const base = join(root, (path ?? '').replace(/^\.?\/*/, ''));
  if (relative(root, base).startsWith('..')) throw new Error(`update.path '${path ?? ''}' leaves the repository`);
  const files: string[] = [];
  for await (const f of yamlFiles(base)) files.push(f);
  files.sort();
  for (const abs of files) {
    const before = await readFile(abs, 'utf8');
    if (!before.includes(SETTER_TOKEN)) continue;
    const rel = relative(root, abs).split(sep).join('/');
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
    if (write) await writeFile(abs, result.text);
  }
  return run;
}
