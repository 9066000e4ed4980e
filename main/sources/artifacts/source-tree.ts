/**
 * The file tree an artifact is made from, assembled the way source-controller assembles its checkout directory before
 * archiving: the commit's tree, then each `spec.include` copied in (`fromPath` → `toPath`), then symbolic links
 * resolved (Flux's resolveSymlinks: a link inside the repository becomes a copy of its target, a broken link is left
 * out), then `.sourceignore` + `spec.ignore` applied while walking in Go's lexical order.
 *
 * Two deliberate differences from Flux, both about links: a link whose target lies outside the repository is an error
 * (Flux drops it silently) unless the ignore rules exclude it, and a link cycle is an error (Flux recurses forever).
 */
import { includeFailed, type SourceError, SourceReason, storageFailed } from '../source-error.ts';
import { compareBytes, type IgnoreTree, loadIgnorePatterns, sourceIgnoreMatcher } from './source-ignore.ts';
import { safeRelative } from './tar-format.ts';

export type SourceNode = DirNode | FileNode | LinkNode | OutsideNode;

export interface DirNode {
  kind: 'dir';
  children: Map<string, SourceNode>;
}

export interface FileNode {
  kind: 'file';
  executable: boolean;
  read: () => Uint8Array;
}

export interface LinkNode {
  kind: 'link';
  target: string;
}

/** A link that points outside the tree; an error unless ignored. */
export interface OutsideNode {
  kind: 'outside';
  target: string;
}

export const newDir = (): DirNode => ({ kind: 'dir', children: new Map() });

const MAX_LINK_DEPTH = 40;

/** A file of an included artifact. */
export interface IncludedFile {
  path: string;
  data: Uint8Array;
  executable: boolean;
}

export interface IncludeInput {
  /** The included GitRepository's name, for messages. */
  name: string;
  files: IncludedFile[];
  fromPath?: string;
  toPath?: string;
}

/** Copies an include's `fromPath` into `toPath` (default: the included repository's name), over what is there. */
export function applyInclude(root: DirNode, inc: IncludeInput): void {
  const from = includePath(inc.fromPath ?? '', 'fromPath', inc.name);
  const to = includePath(inc.toPath ?? inc.name, 'toPath', inc.name);
  let copied = 0;
  for (const f of inc.files) {
    let rel: string | undefined;
    if (from === '') rel = f.path;
    else if (f.path === from) rel = '';
    else if (f.path.startsWith(`${from}/`)) rel = f.path.slice(from.length + 1);
    if (rel === undefined) continue;
    const dest = [to, rel].filter((p) => p !== '').join('/');
    if (dest === '')
      throw includeFailed(
        SourceReason.CopyFailure,
        `include '${inc.name}': cannot copy a file onto the repository root`,
      );
    const data = f.data;
    putFile(root, dest, { kind: 'file', executable: f.executable, read: () => data }, inc.name);
    copied++;
  }
  if (copied === 0) {
    throw storageFailed(
      SourceReason.CopyFailure,
      `failed to copy '${inc.name}' include from ${inc.fromPath ?? './'} to ${inc.toPath ?? inc.name}: '${from}' does not exist in its artifact; check spec.include[].fromPath`,
    );
  }
}

function includePath(raw: string, field: string, name: string): string {
  try {
    return safeRelative(raw.replaceAll('\\', '/'));
  } catch {
    throw storageFailed(
      SourceReason.IllegalPath,
      `path calculation for include '${name}' failed: ${field} '${raw}' leaves the repository; use a path inside it`,
    );
  }
}

function putFile(root: DirNode, path: string, node: FileNode, includeName: string): void {
  const parts = path.split('/');
  let dir = root;
  for (const part of parts.slice(0, -1)) {
    let next = dir.children.get(part);
    if (next?.kind !== 'dir') {
      if (next !== undefined && next.kind === 'file') {
        throw storageFailed(
          SourceReason.CopyFailure,
          `include '${includeName}': '${part}' is a file in the repository, cannot copy into it`,
        );
      }
      next = newDir();
      dir.children.set(part, next);
    }
    dir = next;
  }
  dir.children.set(parts.at(-1) ?? path, node);
}

/** Puts a node at a slash-separated path, creating (or replacing files by) the directories on the way. */
export function addNode(root: DirNode, path: string, node: SourceNode): void {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  let dir = root;
  for (const part of parts.slice(0, -1)) {
    let next = dir.children.get(part);
    if (next?.kind !== 'dir') {
      next = newDir();
      dir.children.set(part, next);
    }
    dir = next;
  }
  const name = parts.at(-1);
  if (name) dir.children.set(name, node);
}

/** Resolves every link in place; returns the paths of broken links that were left out. */
export function resolveLinks(root: DirNode): string[] {
  const broken: string[] = [];
  const visit = (dir: DirNode, path: string[], seen: Set<DirNode>): void => {
    if (seen.has(dir)) return;
    seen.add(dir);
    for (const [name, node] of [...dir.children]) {
      const here = [...path, name];
      if (node.kind === 'link') {
        const resolved = resolveAt(root, path, node.target, 0);
        if (resolved === undefined) {
          dir.children.delete(name);
          broken.push(here.join('/'));
        } else dir.children.set(name, 'kind' in resolved ? resolved : resolved.node);
      } else if (node.kind === 'dir') visit(node, here, seen);
    }
  };
  visit(root, [], new Set());
  return broken;
}

/**
 * What a link in directory `dir` pointing at `target` resolves to, following links on the way like the kernel does:
 * the node and its physical path, an outside marker, or undefined when the link is broken.
 */
function resolveAt(
  root: DirNode,
  dir: string[],
  target: string,
  depth: number,
): { node: SourceNode; path: string[] } | OutsideNode | undefined {
  if (depth > MAX_LINK_DEPTH) return undefined;
  if (target.startsWith('/') || /^[A-Za-z]:[\\/]/.test(target)) return { kind: 'outside', target };
  const parts = target.split('/').filter((p) => p !== '' && p !== '.');
  let cur = [...dir];
  let node: SourceNode = dirAt(root, cur) ?? root;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (part === '..') {
      if (cur.length === 0) return { kind: 'outside', target };
      cur = cur.slice(0, -1);
      node = dirAt(root, cur) ?? root;
      continue;
    }
    const parent = dirAt(root, cur);
    let child = parent?.children.get(part);
    if (child === undefined) return undefined;
    if (child.kind === 'link') {
      const r = resolveAt(root, cur, child.target, depth + 1);
      if (r === undefined) return undefined;
      if ('kind' in r) return { kind: 'outside', target };
      child = r.node;
      cur = r.path;
    } else {
      cur = [...cur, part];
    }
    if (child.kind === 'outside') return { kind: 'outside', target };
    if (child.kind !== 'dir' && i < parts.length - 1) return undefined;
    node = child;
  }
  return { node, path: cur };
}

function dirAt(root: DirNode, path: string[]): DirNode | undefined {
  let dir: DirNode = root;
  for (const part of path) {
    const next = dir.children.get(part);
    if (next?.kind !== 'dir') return undefined;
    dir = next;
  }
  return dir;
}

/**
 * One entry to archive, in output order. A file's bytes come from `read` (in memory or cheap) or `load` (from disk
 * or still arriving): the writer starts loads ahead of the entry it writes, so file reads overlap each other and gzip.
 */
export type ArchiveItem =
  InMemoryItem | { path: string; type: 'file'; executable: boolean; load: () => Promise<Uint8Array> };

/** An entry whose bytes, if any, are at hand: what a walk of a tree in memory gives. */
export type InMemoryItem =
  { path: string; type: 'dir' } | { path: string; type: 'file'; executable: boolean; read: () => Uint8Array };

/**
 * Walks the tree in Go's filepath.Walk order (byte order of names, directories before their contents), applying the
 * ignore rules. Throws for links that leave the tree or loop, unless the rules exclude them.
 */
export function archiveItems(
  root: DirNode,
  specIgnore: string | undefined,
  opts: { sourceIgnoreFiles?: boolean } = {},
): InMemoryItem[] {
  // `flux push artifact` applies only its --ignore-paths; sources also read the tree's .sourceignore files.
  const filePatterns = opts.sourceIgnoreFiles === false ? [] : loadIgnorePatterns(ignoreTree(root));
  const matcher = sourceIgnoreMatcher(filePatterns, specIgnore);
  const out: InMemoryItem[] = [];
  const walk = (dir: DirNode, path: string[], onStack: Set<DirNode>): void => {
    if (onStack.has(dir)) {
      throw storageFailed(
        SourceReason.ArchiveOperationFailed,
        `symlink cycle at '${path.join('/')}': a link points at one of its own parent directories; remove it or exclude it with .sourceignore or spec.ignore`,
      );
    }
    onStack.add(dir);
    for (const [name, node] of [...dir.children].sort((a, b) => compareBytes(a[0], b[0]))) {
      const here = [...path, name];
      const rel = here.join('/');
      if (node.kind === 'dir') {
        if (!matcher.ignores(here, true)) out.push({ path: rel, type: 'dir' });
        walk(node, here, onStack);
      } else if (node.kind === 'file') {
        if (!matcher.ignores(here, false))
          out.push({ path: rel, type: 'file', executable: node.executable, read: node.read });
      } else if (!matcher.ignores(here, false)) {
        throw linkError(rel, node.target);
      }
    }
    onStack.delete(dir);
  };
  walk(root, [], new Set());
  return out;
}

function linkError(path: string, target: string): SourceError {
  return storageFailed(
    SourceReason.ArchiveOperationFailed,
    `symlink '${path}' points outside the repository ('${target}'); Fluxdeck refuses such links: remove it, point it inside the repository, or exclude it with .sourceignore or spec.ignore`,
  );
}

function ignoreTree(root: DirNode): IgnoreTree {
  /** The nodes along a path, or undefined when it does not exist. */
  const chain = (path: string): SourceNode[] | undefined => {
    const nodes: SourceNode[] = [root];
    for (const part of path.split('/').filter((p) => p !== '')) {
      const last = nodes.at(-1);
      if (last?.kind !== 'dir') return undefined;
      const next = last.children.get(part);
      if (next === undefined) return undefined;
      nodes.push(next);
    }
    return nodes;
  };
  return {
    entries(dir) {
      const nodes = chain(dir);
      const node = nodes?.at(-1);
      // A directory that is its own ancestor (a link cycle) has no entries here; the archive walk reports it.
      if (!nodes || node?.kind !== 'dir' || nodes.indexOf(node) !== nodes.length - 1) return [];
      return [...node.children].map(([name, n]) => ({ name, isDir: n.kind === 'dir' }));
    },
    readText(path) {
      const node = chain(path)?.at(-1);
      return node?.kind === 'file' ? Buffer.from(node.read()).toString('utf8') : undefined;
    },
  };
}
