/**
 * "Push this directory as an artifact" from the editor: a directory of a GitRepository's work tree packed and pushed
 * as `flux push artifact` would, with what Flux's docs tell CI to pass: the repository URL as `--source` and
 * `<branch>@sha1:<head>` as `--revision`, so `flux` and in-cluster Flux show where the artifact came from. Edits not
 * committed yet are in the artifact but not in that commit: the result counts them so the UI can say so.
 */
import { stat } from 'node:fs/promises';

import { type ArtifactPushResult, FluxdeckError, insidePath, type WorkTreeStatus } from '../contract/index.ts';
import { RegistryError } from '../registry/index.ts';
import { resolveInWorkTree } from '../sources/workspace/work-tree-path.ts';
import { parseArtifactUrl, pushArtifact, type RegistryAccess } from './oci-artifacts.ts';
import type { PreviewStep } from './workbench.ts';

export interface WorkTreeArtifact {
  /** The work tree's directory on disk. */
  root: string;
  /** The repository URL without credentials. */
  source: string;
  status: WorkTreeStatus;
  /** A directory of the work tree, `.` for all of it. */
  dir: string;
  url: string;
  insecure: boolean;
}

export async function pushWorkTreeArtifact(
  a: WorkTreeArtifact,
  opts: { signal: AbortSignal; onProgress(step: PreviewStep): void; access?: Omit<RegistryAccess, 'signal'> },
): Promise<ArtifactPushResult> {
  const whole = a.dir.replace(/\/+$/, '') === '.';
  const path = whole ? a.root : await resolveInWorkTree(a.root, a.dir, 'read');
  const st = await stat(path).catch(() => undefined);
  if (!st?.isDirectory())
    throw new FluxdeckError(
      'invalid-request',
      `'${a.dir}' is not a directory of the work tree: choose one of its directories, or '.' for all of it`,
    );
  const revision = `${a.status.branch}@sha1:${a.status.head}`;
  const pushed = await pushArtifact(
    {
      url: a.url,
      path,
      source: a.source,
      revision,
      onProgress: (message, done, total) => opts.onProgress({ message, done, total }),
    },
    { ...opts.access, insecure: a.insecure, signal: opts.signal },
  ).catch((err: unknown) => {
    throw withNextStep(err, a.url);
  });
  opts.onProgress({ message: `pushed ${pushed.repository}:${pushed.tag}`, done: 1, total: 1 });
  const uncommitted = a.status.changes.filter((c) => whole || insidePath(a.dir, c.path)).length;
  return { ...pushed, source: a.source, revision, uncommitted };
}

/** A registry's refusal with what to do about it: the desktop has no --creds flag, it reads the Docker config. */
function withNextStep(err: unknown, url: string): unknown {
  if (!(err instanceof RegistryError)) return err;
  const host = parseArtifactUrl(url).registry;
  if (err.code === 'unauthorized' || err.code === 'denied')
    return new FluxdeckError(
      err.code === 'denied' ? 'forbidden' : 'unauthorized',
      `${err.message}. Log in with \`docker login ${host}\` (Fluxdeck reads the Docker config, as the flux CLI does) with an account that may push to it, then push again.`,
      { cause: err },
    );
  if (err.code === 'unreachable')
    return new FluxdeckError(
      'unavailable',
      `${err.message}. Check the address; a registry without TLS needs "plain HTTP" ticked.`,
      { cause: err },
    );
  return err;
}
