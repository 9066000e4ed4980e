import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { appRoot } from '../util/paths.ts';

export interface HelperLocation {
  env: Record<string, string | undefined>;
  /** Electron's process.resourcesPath when packaged; undefined under plain Node. */
  resourcesPath: string | undefined;
  /** The package root (dev builds live under build/helm-helper/ there). */
  root: string | undefined;
  platform: NodeJS.Platform;
  arch: string;
}

/** electron-builder's ${os}-${arch} for a Node platform and arch, as main/helm/helper/build.sh names its output. */
export function builderTarget(platform: NodeJS.Platform, arch: string): string {
  const os = platform === 'darwin' ? 'mac' : platform === 'win32' ? 'win' : platform;
  return `${os}-${arch}`;
}

/**
 * Where the helper may be, most specific first: an explicit override (FLUXDECK_HELM_HELPER, for tests and
 * debugging), the packaged app's resources (electron-builder extraResources), then the dev build output.
 */
export function helperCandidates(loc: HelperLocation): string[] {
  const exe = loc.platform === 'win32' ? 'fluxdeck-helm.exe' : 'fluxdeck-helm';
  const out: string[] = [];
  const override = loc.env.FLUXDECK_HELM_HELPER;
  if (override) return [override];
  if (loc.resourcesPath) out.push(join(loc.resourcesPath, 'helm', exe));
  if (loc.root) out.push(join(loc.root, 'build', 'helm-helper', builderTarget(loc.platform, loc.arch), exe));
  return out;
}

/** The helper binary for this process, or an error that says how to build it. */
export function findHelper(): string {
  let root: string | undefined;
  try {
    root = appRoot();
  } catch {
    root = undefined;
  }
  const candidates = helperCandidates({
    env: process.env,
    resourcesPath: (process as { resourcesPath?: string }).resourcesPath,
    root,
    platform: process.platform,
    arch: process.arch,
  });
  const found = candidates.find((p) => existsSync(p));
  if (found) return found;
  throw new Error(
    `the Helm helper is not built (looked in ${candidates.join(', ') || 'nowhere'}); run \`npm run helm-helper\``,
  );
}
