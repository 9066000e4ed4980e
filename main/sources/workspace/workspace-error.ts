/**
 * Why a work-tree operation was refused or failed. Expected outcomes (remote moved, push rejected, invalid YAML,
 * conflicts) are result values of the operations instead; this is for what the caller must fix before retrying.
 * Messages name the file or the URL (never credentials) and say what to do.
 */
export type WorkspaceErrorCode =
  /** A path outside the work tree, through a symlink leaving it, or into `.git`. */
  | 'path-refused'
  | 'not-found'
  /** Authentication failed (HTTP 401/403, SSH key refused). */
  | 'auth'
  /** The server could not be reached or answered with an error. */
  | 'network'
  /** No author given and none in the user's git config. */
  | 'no-identity'
  /** Uncommitted changes in the way of the operation. */
  | 'dirty'
  | 'invalid-argument'
  /** Anything else git reported. */
  | 'git';

export class WorkspaceError extends Error {
  readonly code: WorkspaceErrorCode;
  constructor(code: WorkspaceErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WorkspaceError';
    this.code = code;
  }
}
