/** Placeholder: replaced by the ssh2 transport. */
import { fetchFailed, SourceReason } from '../source-error.ts';
import type { SshAuth } from './git-auth.ts';
import type { GitUrl } from './git-url.ts';
import type { CountingHttpClient } from './http-client.ts';

export function createSshHttpClient(_opts: {
  url: GitUrl;
  auth: SshAuth;
  signal: AbortSignal;
}): CountingHttpClient & { httpUrl: string } {
  throw fetchFailed(SourceReason.GitOperationFailed, 'ssh is not supported yet');
}
