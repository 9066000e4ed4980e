/**
 * The filesystem the build reads from, behind an interface: the CLI reads a directory on disk, the GitOps loop builds
 * straight from in-memory artifacts. Paths are POSIX, relative to the filesystem's root ('' or '.' is the root);
 * nothing can be read outside it. Error messages name files through `shownPath`, so a filesystem can show them the
 * way its user knows them (the CLI: as typed on the command line) while the engine keeps working in root-relative
 * paths.
 */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, parse, posix, relative, resolve, sep } from 'node:path';

export type EntryKind = 'file' | 'dir';

export interface BuildFs {
  /** 'file', 'dir', or undefined when nothing is there. */
  kind(path: string): EntryKind | undefined;
  readFile(path: string): Uint8Array;
  /** Entry names (not paths) of a directory, sorted. */
  readDir(path: string): string[];
  /** How messages name one of this filesystem's paths; without it they show the path itself. */
  displayPath?(path: string): string;
  /**
   * Where a path really is, root-relative, once symbolic links are followed (undefined when that leaves the root).
   * Filesystems without links (in-memory artifacts) leave it out. The load restrictor compares these, as kustomize
   * compares real paths, so a link cannot bring in a file from outside the kustomization.
   */
  realPath?(path: string): string | undefined;
}

/** A path as error messages show it: the filesystem's display form, else the path itself ('.' for the root). */
export function shownPath(fs: BuildFs, path: string): string {
  return fs.displayPath ? fs.displayPath(path) : path || '.';
}

/** Normalises a path relative to the root; returns undefined when it climbs out of the root. */
export function cleanPath(path: string): string | undefined {
  const p = posix.normalize(path.replaceAll('\\', '/')).replace(/^\/+/, '');
  if (p === '..' || p.startsWith('../')) return undefined;
  return p === '.' ? '' : p.replace(/\/+$/, '');
}

export function joinPath(dir: string, rel: string): string {
  return posix.normalize(posix.join(dir || '.', rel)).replace(/^\.\/?$/, '');
}

export function dirOf(path: string): string {
  const d = posix.dirname(path);
  return d === '.' ? '' : d;
}

export interface NodeFsOptions {
  /** How messages show a file or directory, given its absolute path (default: relative to the root). */
  display?: (absolutePath: string) => string;
}

/** Reads a directory on disk; symbolic links are followed only while they stay inside the root. */
export class NodeFs implements BuildFs {
  readonly root: string;
  readonly displayPath: ((path: string) => string) | undefined;

  constructor(root: string, options: NodeFsOptions = {}) {
    const given = resolve(root);
    this.root = realpathSync(given);
    const { display } = options;
    // Shown under the root as given, not its real path, so a symbolic link the user went through stays in messages.
    this.displayPath = display && ((path) => display(join(given, path)));
  }

  /** The absolute real path of a root-relative path, or undefined when it (or a link on the way) leaves the root. */
  private real(path: string): string | undefined {
    const p = cleanPath(path);
    if (p === undefined) return undefined;
    const abs = join(this.root, p);
    let target: string;
    try {
      target = realpathSync(abs);
    } catch {
      // Nothing there (or a dangling link): the caller reports it missing; a parent that is a link still counts.
      if (p === '') return undefined;
      const parent = this.real(dirOf(p));
      return parent === undefined ? undefined : join(parent, posix.basename(p));
    }
    const rel = relative(this.root, target);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel)) ? target : undefined;
  }

  realPath(path: string): string | undefined {
    const abs = this.real(path);
    return abs === undefined ? undefined : relative(this.root, abs).split(sep).join('/');
  }

  kind(path: string): EntryKind | undefined {
    const abs = this.real(path);
    if (abs === undefined) return undefined;
    try {
      const st = statSync(abs);
      return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
    } catch {
      return undefined;
    }
  }

  readFile(path: string): Uint8Array {
    const abs = this.real(path);
    if (abs === undefined) throw new Error(`'${path}' is outside the root ${this.root} (a symbolic link leads out)`);
    return readFileSync(abs);
  }

  readDir(path: string): string[] {
    const abs = this.real(path);
    if (abs === undefined) throw new Error(`'${path}' is outside the root ${this.root} (a symbolic link leads out)`);
    return readdirSync(abs).sort();
  }
}

/**
 * Opens the directory a command line names, for `build(fs, path)`. With scope 'disk' the filesystem is rooted at the
 * root of the directory's drive, so a kustomization reaches `../base` wherever it is (the load restrictor still
 * confines files); with 'dir' nothing outside the directory can be read, as Flux confines a build to its source.
 * Either way messages name paths the way the user did: relative to `cwd` when `dir` is relative, absolute otherwise.
 */
export function openDirectory(dir: string, cwd: string, scope: 'disk' | 'dir'): { fs: NodeFs; path: string } {
  const target = resolve(cwd, dir);
  const root = scope === 'disk' ? parse(target).root : target;
  const display = isAbsolute(dir) ? (abs: string): string => abs : (abs: string): string => relative(cwd, abs) || '.';
  return { fs: new NodeFs(root, { display }), path: relative(root, target) };
}

/** An in-memory tree over a map of file paths to contents; directories exist wherever a file path implies one. */
export class MemoryFs implements BuildFs {
  private readonly files = new Map<string, Uint8Array>();
  private readonly dirs = new Map<string, Set<string>>([['', new Set()]]);

  constructor(entries: Map<string, Uint8Array | string> | Record<string, Uint8Array | string>) {
    const list = entries instanceof Map ? [...entries] : Object.entries(entries);
    const enc = new TextEncoder();
    for (const [rawPath, content] of list) {
      const path = cleanPath(rawPath);
      if (path === undefined || path === '') continue;
      this.files.set(path, typeof content === 'string' ? enc.encode(content) : content);
      let child = path;
      for (let dir = dirOf(path); ; dir = dirOf(dir)) {
        const set = this.dirs.get(dir) ?? new Set<string>();
        set.add(posix.basename(child));
        this.dirs.set(dir, set);
        if (dir === '') break;
        child = dir;
      }
    }
  }

  kind(path: string): EntryKind | undefined {
    const p = cleanPath(path);
    if (p === undefined) return undefined;
    if (this.files.has(p)) return 'file';
    return this.dirs.has(p) ? 'dir' : undefined;
  }

  readFile(path: string): Uint8Array {
    const p = cleanPath(path);
    const f = p === undefined ? undefined : this.files.get(p);
    if (!f) throw new Error(`no such file '${path}'`);
    return f;
  }

  readDir(path: string): string[] {
    const p = cleanPath(path);
    const d = p === undefined ? undefined : this.dirs.get(p);
    if (!d) throw new Error(`no such directory '${path}'`);
    return [...d].sort();
  }
}

/** Total bytes one build may read (default for {@link withReadBudget}): a repository is untrusted input. */
export const DEFAULT_MAX_TOTAL_BYTES = 64 * 1024 * 1024;

/**
 * `fs` with a budget on the bytes all its reads return together: past it, the build stops with a message naming the
 * file that crossed it, instead of growing to gigabytes of memory (the per-file limit alone lets many files through).
 */
export function withReadBudget(
  fs: BuildFs,
  maxTotalBytes: number,
  onExceeded: (path: string, total: number) => Error,
): BuildFs {
  let total = 0;
  return {
    kind: (path) => fs.kind(path),
    readDir: (path) => fs.readDir(path),
    readFile: (path) => {
      const bytes = fs.readFile(path);
      total += bytes.byteLength;
      if (total > maxTotalBytes) throw onExceeded(path, total);
      return bytes;
    },
    ...(fs.displayPath && { displayPath: (path: string) => fs.displayPath?.(path) ?? path }),
    ...(fs.realPath && { realPath: (path: string) => fs.realPath?.(path) }),
  };
}
