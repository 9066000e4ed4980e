/**
 * main/sources: Git fetching and source artifacts (see README.md in this folder for the API and its semantics).
 */
export { type Artifact, type ArtifactOwner, artifactPath, hasRevision } from './artifacts/artifact.ts';
export { ArtifactStore, type ArtifactStoreOptions, digestOf, type Reservation } from './artifacts/artifact-store.ts';
export { extractArtifact, MemoryArtifact, openArtifact, unpackArtifact } from './artifacts/open-artifact.ts';
export { authFromSecret, type GitAuth, type HttpAuth, type SecretData, type SshAuth } from './git/git-auth.ts';
export {
  DEFAULT_TIMEOUT_MS,
  fetchGit,
  type GitFetchOptions,
  type GitFetchResult,
  type GitFetchSpec,
} from './git/git-fetch.ts';
export { commitOfRevision, type GitRef, revisionFor } from './git/git-reference.ts';
export { type GitUrl, parseGitUrl } from './git/git-url.ts';
export {
  type BuildRequest,
  type BuiltArtifact,
  GitSource,
  type GitSourceOptions,
  type IncludeRequest,
} from './git-source.ts';
export { SourceError, type SourceErrorInfo, type SourceFailureCondition, SourceReason } from './source-error.ts';
