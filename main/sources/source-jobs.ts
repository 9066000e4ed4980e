/**
 * The jobs main/sources runs off the main event loop, as plain structured-cloneable data, and the one function that
 * runs them (in a worker thread, or inline when there is no worker). Errors travel back as SourceError fields.
 */
import type { GitAuth } from './git/git-auth.ts';
import { fetchGit, type GitFetchOptions, type GitFetchResult, type GitFetchSpec } from './git/git-fetch.ts';
import { type ArchiveJob, type ArchiveJobResult, runArchiveJob } from './git-artifact-job.ts';
import { SourceError, type SourceErrorInfo } from './source-error.ts';

export type SourceJob =
  | { op: 'fetch'; spec: GitFetchSpec; auth: GitAuth | undefined; opts: Omit<GitFetchOptions, 'signal'> }
  | { op: 'archive'; job: ArchiveJob };

export type SourceJobResult<J extends SourceJob> = J extends { op: 'fetch' } ? GitFetchResult : ArchiveJobResult;

export type SerializedError = { name: string; message: string; stack?: string } & Partial<SourceErrorInfo>;

export async function runSourceJob(job: SourceJob, signal?: AbortSignal): Promise<GitFetchResult | ArchiveJobResult> {
  if (job.op === 'fetch') return fetchGit(job.spec, job.auth, { ...job.opts, ...(signal ? { signal } : {}) });
  return runArchiveJob(job.job, signal);
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof SourceError) return err.toJSON();
  const e = err instanceof Error ? err : new Error(String(err));
  return { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
}

export function deserializeError(e: SerializedError): Error {
  if (e.reason && e.condition) {
    return new SourceError({
      message: e.message,
      reason: e.reason,
      condition: e.condition,
      stalled: e.stalled ?? false,
    });
  }
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}
