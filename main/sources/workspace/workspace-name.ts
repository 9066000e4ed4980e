import { createHash } from 'node:crypto';

import type { GitUrl } from '../git/git-url.ts';

/**
 * The folder name of a work tree: readable (host, repository, branch) for someone looking at the data directory, and
 * unique per URL and branch through a hash (credentials never take part: the URL is the parsed, clean one).
 */
export function workspaceDirName(url: GitUrl, branch: string): string {
  const slug = (s: string): string =>
    s
      .replace(/\.git$/, '')
      .replace(/[^\w.-]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '')
      .slice(0, 40) || 'x';
  const repo = url.path.split('/').filter(Boolean).pop() ?? 'repo';
  const hash = createHash('sha256')
    .update(`${url.protocol}://${url.host}:${url.port}${url.path}\n${branch}`)
    .digest('hex')
    .slice(0, 12);
  return `${slug(url.host)}-${slug(repo)}-${slug(branch)}-${hash}`;
}
