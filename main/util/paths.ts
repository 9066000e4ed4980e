import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

let root: string | undefined;

/**
 * The package root (the folder with Fluxdeck's package.json). Code runs from main/ in development and tests and from
 * out/main/ when bundled, so resources are found by walking up rather than by a fixed relative path.
 */
export function appRoot(): string {
  if (root) return root;
  let dir = import.meta.dirname;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'fluxdeck')
      return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find Fluxdeck's package.json above ${import.meta.dirname}`);
    dir = up;
  }
}

/** A file under resources/ (CRD manifests, icons). */
export function resourcePath(...parts: string[]): string {
  return join(appRoot(), 'resources', ...parts);
}

/**
 * The per-user data directory: caches, artifacts, the inbox database and settings. Electron passes its own
 * `app.getPath('userData')`; the CLI and `fluxdeck serve` use FLUXDECK_DATA_DIR or the platform default.
 */
export function defaultDataDir(): string {
  if (process.env.FLUXDECK_DATA_DIR) return process.env.FLUXDECK_DATA_DIR;
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Fluxdeck');
  if (process.platform === 'win32')
    return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Fluxdeck');
  return join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'fluxdeck');
}

/**
 * Creates `dir` if needed and makes it readable by this user only: the data directory holds git caches, artifacts,
 * work trees and the inbox, which name clusters and may contain manifests. An existing directory (from an older
 * version, made 0755) is tightened too. No-op on Windows, where the profile directory is already private.
 */
export function privateDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') chmodSync(dir, 0o700);
  return dir;
}
