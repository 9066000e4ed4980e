/**
 * Editing what is in Git and in the cluster: a GitRepository's work tree (files, status, YAML problems, the preview of
 * what the edit would change, commit and push with their outcomes), Flux objects edited in place, and the cluster's
 * schemas for validation and completion. Credentials go one way only: the renderer may send what the user typed, and
 * main never sends any back (only where they come from).
 */
import { z } from 'zod';

import { FieldChange } from './inbox.ts';
import { ActionId, FluxKey, ObjectRef } from './model.ts';

/** A work tree opened in main, named by main. */
export const WorkTreeId = z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'a work tree id');

export const GitRepositoryKey = FluxKey.extend({ kind: z.literal('GitRepository') });
export type GitRepositoryKey = z.infer<typeof GitRepositoryKey>;
export const KustomizationKey = FluxKey.extend({ kind: z.literal('Kustomization') });
export type KustomizationKey = z.infer<typeof KustomizationKey>;

/**
 * A path inside the work tree as git names it: relative, `/`-separated. Main refuses anything that leaves the tree
 * (`..`, `.git`, symbolic links out); this only bounds the size.
 */
export const WorkTreePath = z.string().min(1).max(1024);

export const FileChange = z.object({ path: z.string(), change: z.enum(['added', 'modified', 'deleted']) });
export type FileChange = z.infer<typeof FileChange>;

export const WorkTreeStatus = z.object({
  branch: z.string(),
  head: z.string(),
  /** The server's branch as last fetched. */
  remoteHead: z.string(),
  /** Local commits the server does not have yet. */
  ahead: z.number().int(),
  changes: z.array(FileChange),
});
export type WorkTreeStatus = z.infer<typeof WorkTreeStatus>;

/** A YAML problem with its 1-based line and column. */
export const YamlProblem = z.object({
  path: z.string(),
  line: z.number().int(),
  column: z.number().int(),
  message: z.string(),
});
export type YamlProblem = z.infer<typeof YamlProblem>;

export const GitAuthor = z.strictObject({
  name: z.string().trim().min(1).max(256),
  email: z.string().trim().min(1).max(256),
});
export type GitAuthor = z.infer<typeof GitAuthor>;

/**
 * Where the credentials a work tree pushes with come from: credentials the user entered (`keychain`: kept by the
 * OS through Electron safeStorage; `memory`: kept by this process only), the GitRepository's `secretRef`, or none.
 */
export const CredentialSource = z.enum(['keychain', 'memory', 'secret', 'none']);
export type CredentialSource = z.infer<typeof CredentialSource>;

export const WorkTree = z.object({
  id: WorkTreeId,
  repo: GitRepositoryKey,
  /** The repository URL without credentials. */
  url: z.string(),
  branch: z.string(),
  files: z.array(z.string()),
  status: WorkTreeStatus,
  /** What opening did with the server's branch: followed it, or kept local commits and edits as they were. */
  update: z.enum(['up-to-date', 'fast-forwarded', 'local-changes']),
  /** The user's git config identity, when there is one: the commit form starts with it. */
  author: GitAuthor.optional(),
  credentials: CredentialSource,
  /** Where credentials the user enters are kept: the OS keychain (desktop) or this process's memory (serve). */
  credentialStorage: z.enum(['keychain', 'memory']),
  /** The Kustomizations (in every connected cluster) that read this repository and branch. */
  kustomizations: z.array(z.object({ key: KustomizationKey, path: z.string(), source: GitRepositoryKey })),
});
export type WorkTree = z.infer<typeof WorkTree>;

// ---------------------------------------------------------------------------------------------------------------
// Preview

export const PreviewAction = z.enum(['create', 'update', 'delete', 'unchanged', 'skipped']);
export type PreviewAction = z.infer<typeof PreviewAction>;

/** One object of a Kustomization's build, as the server-side dry run sees it. YAML is masked (no Secret values). */
export const PreviewObject = z.object({
  ref: ObjectRef,
  action: PreviewAction,
  /** The live object (update, delete) and what it would become (create, update): for a side-by-side diff. */
  live: z.string().optional(),
  desired: z.string().optional(),
  changes: z.array(FieldChange).optional(),
  /** Why the dry run refused it. */
  error: z.string().optional(),
  /**
   * Set on the objects a HelmRelease of the build renders (the HelmRelease itself is in the list too): what its
   * upgrade would change, as `fluxdeck diff helmrelease` shows it; `delete` is an object the upgrade removes.
   */
  renderedBy: ObjectRef.optional(),
});
export type PreviewObject = z.infer<typeof PreviewObject>;

export const KustomizationPreview = z.object({
  key: KustomizationKey,
  path: z.string(),
  /** The changed files under its path. */
  files: z.array(z.string()),
  objects: z.array(PreviewObject),
  /** The build failed (the message names the file and line): nothing was dry-run. */
  error: z.string().optional(),
});
export type KustomizationPreview = z.infer<typeof KustomizationPreview>;

export const WorkTreePreview = z.object({
  id: WorkTreeId,
  changes: z.array(FileChange),
  /** YAML problems of the changed files: they block the commit. */
  problems: z.array(YamlProblem),
  kustomizations: z.array(KustomizationPreview),
});
export type WorkTreePreview = z.infer<typeof WorkTreePreview>;

export const PreviewProgress = z.object({
  previewId: ActionId,
  message: z.string(),
  done: z.number().int(),
  total: z.number().int(),
});
export type PreviewProgress = z.infer<typeof PreviewProgress>;

// ---------------------------------------------------------------------------------------------------------------
// Commit and push

export const CommitResult = z.discriminatedUnion('status', [
  z.object({ status: z.literal('committed'), commit: z.string(), files: z.array(FileChange) }),
  /** Invalid YAML blocks the commit; nothing was staged. */
  z.object({ status: z.literal('invalid'), problems: z.array(YamlProblem) }),
  z.object({ status: z.literal('nothing-to-commit') }),
]);
export type CommitResult = z.infer<typeof CommitResult>;

export const PushResult = z.discriminatedUnion('status', [
  z.object({ status: z.literal('pushed'), commit: z.string() }),
  z.object({ status: z.literal('up-to-date'), commit: z.string() }),
  /** Someone pushed first: offer "fetch and re-apply my edit" or "abort". The local commit is kept. */
  z.object({ status: z.literal('remote-moved'), commit: z.string(), message: z.string() }),
  /** The server refused or could not be reached; the local commit is kept. */
  z.object({
    status: z.literal('rejected'),
    commit: z.string(),
    reason: z.enum(['auth', 'hook', 'network']),
    message: z.string(),
  }),
]);
export type PushResult = z.infer<typeof PushResult>;

export const ReapplyResult = z.discriminatedUnion('status', [
  z.object({ status: z.literal('up-to-date'), head: z.string() }),
  z.object({ status: z.literal('fast-forwarded'), head: z.string() }),
  z.object({
    status: z.literal('reapplied'),
    head: z.string(),
    onto: z.string(),
    commits: z.number().int(),
    overwritten: z.array(z.string()),
  }),
  /** The server changed the same lines: nothing moved; offer "keep my version" or "abort". */
  z.object({
    status: z.literal('conflict'),
    head: z.string(),
    onto: z.string(),
    files: z.array(z.string()),
    message: z.string(),
  }),
]);
export type ReapplyResult = z.infer<typeof ReapplyResult>;

export const AbortResult = z.object({
  status: z.literal('aborted'),
  head: z.string(),
  fetched: z.boolean(),
  /** Where the discarded edits were copied, and what they were. */
  backup: z
    .object({
      dir: z.string(),
      files: z.array(FileChange),
      commits: z.array(z.object({ oid: z.string(), message: z.string() })),
    })
    .optional(),
});
export type AbortResult = z.infer<typeof AbortResult>;

/** HTTP basic credentials: a user name and a password (or a token). They travel main-ward only. */
export const BasicCredentials = z.strictObject({
  username: z.string().min(1).max(256),
  password: z.string().min(1).max(4096),
});
export type BasicCredentials = z.infer<typeof BasicCredentials>;

/** HTTPS credentials the user typed: a user name and password (or token), or a bearer token. */
export const GitCredentials = z.union([BasicCredentials, z.strictObject({ bearerToken: z.string().min(1).max(4096) })]);
export type GitCredentials = z.infer<typeof GitCredentials>;

// ---------------------------------------------------------------------------------------------------------------
// Flux objects edited in place, and schemas

/** A Flux object as the editor shows it: apiVersion, kind, metadata (name, namespace, labels, annotations) and spec. */
// ---------------------------------------------------------------------------------------------------------------
// OCI artifacts from the work tree

/**
 * Pushes a directory of the work tree as a Flux OCI artifact (what `flux push artifact` makes), with the repository URL
 * as source and `<branch>@sha1:<head>` as revision. Registry credentials come from the machine's Docker config,
 * as for the flux and docker CLIs; they never cross to the renderer.
 */
export const ArtifactPushRequest = z.strictObject({
  id: WorkTreeId,
  pushId: ActionId,
  /** A directory of the work tree, `.` for all of it. */
  dir: WorkTreePath,
  url: z
    .string()
    .max(2048)
    .regex(/^oci:\/\/[^\s]+$/, 'an oci://registry/repository[:tag] URL'),
  /** Plain HTTP, for a registry without TLS (flux's `--insecure-registry`). */
  insecure: z.boolean(),
});
export type ArtifactPushRequest = z.infer<typeof ArtifactPushRequest>;

export const ArtifactPushProgress = z.object({
  pushId: ActionId,
  message: z.string(),
  done: z.number().int(),
  total: z.number().int(),
});
export type ArtifactPushProgress = z.infer<typeof ArtifactPushProgress>;

export const ArtifactPushResult = z.object({
  /** `oci://registry/repository@sha256:…`, the pushed manifest. */
  url: z.string(),
  repository: z.string(),
  tag: z.string(),
  digest: z.string(),
  files: z.number().int(),
  size: z.number().int(),
  source: z.string(),
  revision: z.string(),
  /** Files under the directory with uncommitted changes: the artifact holds them, the revision's commit does not. */
  uncommitted: z.number().int(),
});
export type ArtifactPushResult = z.infer<typeof ArtifactPushResult>;

export const EditableObject = z.object({
  key: FluxKey,
  yaml: z.string(),
  resourceVersion: z.string(),
  /**
   * Set when a Kustomization applies this object from Git (its `kustomize.toolkit.fluxcd.io/*` labels): an edit
   * here may be put back at its next reconcile, so the change belongs in Git.
   */
  managedBy: z.object({ namespace: z.string(), name: z.string() }).optional(),
});
export type EditableObject = z.infer<typeof EditableObject>;

export const ApplyObjectResult = z.object({
  key: FluxKey,
  resourceVersion: z.string(),
  /** False when the edit changed nothing. */
  changed: z.boolean(),
  /** The fields the patch set or removed, e.g. `spec.interval`. */
  fields: z.array(z.string()),
});
export type ApplyObjectResult = z.infer<typeof ApplyObjectResult>;

/** A JSON schema (draft 7) for one apiVersion and kind, made from the cluster's OpenAPI v3 or the CRD's schema. */
export const KindSchema = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  source: z.enum(['openapi', 'crd']),
  schema: z.record(z.string(), z.unknown()),
});
export type KindSchema = z.infer<typeof KindSchema>;
