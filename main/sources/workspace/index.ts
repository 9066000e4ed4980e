/**
 * Work trees for editing a GitRepository's files (main/sources/workspace/README.md): clone, read and write inside
 * the tree, YAML checks, commit, push without force, and recovery when the server moved.
 */
export { type GitIdentity, identityFromConfig, userGitIdentity } from './git-identity.ts';
export { type GitRemote, gitRemote, type PushOutcome } from './git-remote.ts';
export { resolveInWorkTree, workTreeSegments } from './work-tree-path.ts';
export {
  type AbortResult,
  type CommitResult,
  type FileChange,
  type NetworkCall,
  type PushResult,
  type ReapplyResult,
  type UpdateResult,
  Workspace,
  type WorkspaceBackup,
  type WorkspaceOptions,
  type WorkspaceSpec,
  type WorkspaceStatus,
} from './workspace.ts';
export { WorkspaceError, type WorkspaceErrorCode } from './workspace-error.ts';
export { workspaceDirName } from './workspace-name.ts';
export { Workspaces, type WorkspacesOptions } from './workspaces.ts';
export { checkYaml, formatProblem, isYamlPath, type YamlProblem } from './yaml-check.ts';
