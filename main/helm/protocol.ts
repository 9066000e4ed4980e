// The wire protocol of the Helm helper (main/helm/helper/protocol.go), version 2 (2 added `unlock`): one JSON object per line each way.
// Client → helper: `{id, op, params}`, plus `$cancel` and `$callback` (the answer to a post-render callback).
// Helper → client: a `hello` line first, then `{id, ok, result | error}` per request and `callback` lines.
// Types here mirror the Go structs; pure functions only (no process, no I/O), so the layer is unit-tested alone.

export const HELM_PROTOCOL_VERSION = 2;

/** Error codes the helper returns (errors.go), plus the client's own for a dead or hung helper. */
export type HelmErrorCode =
  | 'BadRequest'
  | 'ChartNotFound'
  | 'ChartInvalid'
  | 'ValuesInvalid'
  | 'RenderFailed'
  | 'ReleaseNotFound'
  | 'ReleaseLocked'
  | 'ReleaseFailed'
  | 'Timeout'
  | 'Unauthorized'
  | 'RepoUnreachable'
  | 'KubeUnreachable'
  | 'Forbidden'
  | 'Canceled'
  | 'PostRenderFailed'
  | 'TooLarge'
  | 'Internal'
  | 'HelperUnavailable';

/** A typed failure of a Helm operation. `details` may name the template and line, or the failing resource. */
export class HelmError extends Error {
  override readonly name = 'HelmError';
  readonly code: HelmErrorCode;
  readonly details: Readonly<Record<string, string>>;
  constructor(code: HelmErrorCode, message: string, details: Record<string, string> = {}, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}

export function isHelmError(err: unknown, code?: HelmErrorCode): err is HelmError {
  return err instanceof HelmError && (code === undefined || err.code === code);
}

/** How a request reaches a cluster. The kubeconfig is YAML text held in memory; it is never written or logged. */
export interface KubeAccess {
  kubeconfig: string;
  context?: string;
  /** Flux's serviceAccountName: impersonated as system:serviceaccount:<release namespace>:<name>. */
  serviceAccount?: string;
  /** A user to impersonate, as `kubectl --as`. */
  impersonate?: string;
  qps?: number;
  burst?: number;
  /**
   * Allows exec plugins, auth providers and local file references: set for the user's own kubeconfig, never for one
   * read from a Secret (HelmRelease kubeConfig.secretRef), which, as in Flux, must not run or read anything locally.
   */
  trusted?: boolean;
}

export interface ChartRef {
  /** A chart directory or .tgz on local disk (the artifact a source produced). */
  path: string;
}

export interface ValuesInput {
  /** Values files merged in order (Helm's merge), then `values` on top. */
  valuesFiles?: string[];
  values?: Record<string, unknown>;
}

export interface ChartInfo {
  name: string;
  version: string;
  appVersion?: string;
}

export interface HookRun {
  startedAt?: string;
  completedAt?: string;
  phase: 'Unknown' | 'Running' | 'Succeeded' | 'Failed' | '';
}

export interface HookInfo {
  name: string;
  kind: string;
  path: string;
  events: string[];
  weight: number;
  deletePolicies?: string[];
  manifest?: string;
  lastRun?: HookRun;
}

export interface TemplateRequest extends ValuesInput {
  chart: ChartRef;
  releaseName?: string;
  namespace?: string;
  kubeVersion?: string;
  apiVersions?: string[];
  includeCRDs?: boolean;
  isUpgrade?: boolean;
  skipTests?: boolean;
  disableHooks?: boolean;
  skipSchemaValidation?: boolean;
}

export interface TemplateResult {
  chart: ChartInfo;
  /** The release manifest (non-hook objects), post-rendered when a post-renderer was given. */
  manifest: string;
  hooks: HookInfo[];
  notes?: string;
  /** Exactly what `helm template` prints for the same input. */
  output: string;
}

export interface ReleaseTarget {
  kube: KubeAccess;
  releaseName: string;
  /** The release's target namespace. */
  namespace: string;
  /** Where Helm keeps its release Secrets; defaults to `namespace`. */
  storageNamespace?: string;
  /** Helm's wait timeout (readiness, hooks, tests); default 5 minutes. */
  timeoutMs?: number;
}

export interface InstallRequest extends ReleaseTarget, ValuesInput {
  chart: ChartRef;
  disableWait?: boolean;
  disableWaitForJobs?: boolean;
  disableHooks?: boolean;
  disableOpenAPIValidation?: boolean;
  skipSchemaValidation?: boolean;
  createNamespace?: boolean;
  /** Flux's CRD policies: Create (install default) creates missing CRDs, CreateReplace also updates existing ones. */
  crds?: 'Skip' | 'Create' | 'CreateReplace';
  force?: boolean;
  cleanupOnFail?: boolean;
  maxHistory?: number;
  description?: string;
  labels?: Record<string, string>;
  serverSideApply?: 'true' | 'false' | 'auto';
}

export interface UpgradeRequest extends InstallRequest {
  /** Install when the release does not exist (`helm upgrade --install`). */
  install?: boolean;
  /** Merge the last release's values under these (Flux's upgrade.preserveValues); else reset to chart + these. */
  reuseValues?: boolean;
}

export interface RollbackRequest extends ReleaseTarget {
  /** The revision to return to; 0 or absent means the previous one. */
  version?: number;
  disableWait?: boolean;
  disableHooks?: boolean;
  force?: boolean;
  cleanupOnFail?: boolean;
  maxHistory?: number;
}

export interface UninstallRequest extends ReleaseTarget {
  keepHistory?: boolean;
  disableHooks?: boolean;
  disableWait?: boolean;
  deletionPropagation?: 'background' | 'foreground' | 'orphan';
  ignoreNotFound?: boolean;
}

export interface TestRequest extends ReleaseTarget {
  /** As `helm test --filter`: `{ name: [...] }` runs only those, `{ '!name': [...] }` skips those. */
  filters?: Record<string, string[]>;
}

export interface QueryRequest extends ReleaseTarget {
  max?: number;
  withManifest?: boolean;
}

export type ReleaseStatus =
  | 'unknown'
  | 'deployed'
  | 'uninstalled'
  | 'superseded'
  | 'failed'
  | 'uninstalling'
  | 'pending-install'
  | 'pending-upgrade'
  | 'pending-rollback';

/** A release as Helm stores it. `config` holds the user-supplied values: it may contain secrets, never log it. */
export interface ReleaseInfo {
  name: string;
  namespace: string;
  version: number;
  status: ReleaseStatus;
  description?: string;
  chart: ChartInfo;
  firstDeployed?: string;
  lastDeployed?: string;
  deleted?: string;
  notes?: string;
  manifest?: string;
  hooks: HookInfo[];
  config?: Record<string, unknown>;
  applyMethod?: string;
}

export interface RepoAuth {
  username?: string;
  password?: string;
  caPEM?: string;
  certPEM?: string;
  keyPEM?: string;
  insecureSkipTLSVerify?: boolean;
  passCredentials?: boolean;
  /** OCI registries over plain HTTP (Flux's `insecure`). */
  plainHTTP?: boolean;
}

export interface PullRequest {
  /** `https://…` (an index.yaml repository) or `oci://…` (the chart is `<url>/<chart>`). */
  url: string;
  chart: string;
  /** A version or a semver range; absent means the latest stable version. */
  version?: string;
  auth?: RepoAuth;
  destDir: string;
  timeoutMs?: number;
}

export interface PullResult {
  path: string;
  name: string;
  version: string;
  url: string;
  /** `sha256:<hex>` of the .tgz. */
  digest: string;
  size: number;
}

export interface PackageRequest {
  path: string;
  destDir: string;
  version?: string;
  appVersion?: string;
}

export interface DependenciesRequest {
  path: string;
  timeoutMs?: number;
}

/** `unlock`: a pending release marked failed (helm-controller's Unlock), or left as it was when not pending. */
export interface UnlockResult {
  unlocked: boolean;
  /** The pending status it had. */
  previous?: ReleaseStatus;
  release: ReleaseInfo;
}

export interface HelperInfo {
  protocol: number;
  helm: string;
  go: string;
}

/** Every operation: its params and its result. The client's `call` is typed from this map. */
export interface HelmOps {
  version: { params: Record<string, never>; result: HelperInfo };
  template: { params: TemplateRequest; result: TemplateResult };
  install: { params: InstallRequest; result: ReleaseInfo };
  upgrade: { params: UpgradeRequest; result: ReleaseInfo };
  rollback: { params: RollbackRequest; result: ReleaseInfo };
  uninstall: { params: UninstallRequest; result: { info: string; release?: ReleaseInfo } };
  test: { params: TestRequest; result: ReleaseInfo };
  history: { params: QueryRequest; result: { releases: ReleaseInfo[] } };
  status: { params: QueryRequest; result: ReleaseInfo };
  unlock: { params: ReleaseTarget; result: UnlockResult };
  package: { params: PackageRequest; result: { path: string } };
  dependencies: { params: DependenciesRequest; result: { log: string } };
  pull: { params: PullRequest; result: PullResult };
}

export type HelmOp = keyof HelmOps;

/** What one line from the helper means. */
export type HelperMessage =
  | { kind: 'hello'; info: HelperInfo }
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: HelmError }
  | { kind: 'callback'; id: number; request: number; callback: 'postRender'; manifests: string }
  | { kind: 'invalid'; reason: string };

const CODES = new Set<string>([
  'BadRequest',
  'ChartNotFound',
  'ChartInvalid',
  'ValuesInvalid',
  'RenderFailed',
  'ReleaseNotFound',
  'ReleaseLocked',
  'ReleaseFailed',
  'Timeout',
  'Unauthorized',
  'RepoUnreachable',
  'KubeUnreachable',
  'Forbidden',
  'Canceled',
  'PostRenderFailed',
  'TooLarge',
  'Internal',
]);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toHelmError(e: unknown): HelmError {
  if (!isRecord(e)) return new HelmError('Internal', 'helper returned an error without a body');
  const code = typeof e.code === 'string' && CODES.has(e.code) ? (e.code as HelmErrorCode) : 'Internal';
  const message = typeof e.message === 'string' ? e.message : 'helper returned an error without a message';
  const details: Record<string, string> = {};
  if (isRecord(e.details)) for (const [k, v] of Object.entries(e.details)) if (typeof v === 'string') details[k] = v;
  return new HelmError(code, message, details);
}

/** Parses one line from the helper. Never throws: a line it cannot read becomes `invalid` with the reason. */
export function parseHelperLine(line: string): HelperMessage {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { kind: 'invalid', reason: `not JSON: ${line.slice(0, 120)}` };
  }
  if (!isRecord(v)) return { kind: 'invalid', reason: 'not a JSON object' };
  if (isRecord(v.hello)) {
    const h = v.hello;
    return {
      kind: 'hello',
      info: { protocol: Number(h.protocol), helm: String(h.helm), go: String(h.go) },
    };
  }
  if (isRecord(v.callback)) {
    const c = v.callback;
    if (typeof c.id !== 'number' || typeof c.request !== 'number' || c.kind !== 'postRender')
      return { kind: 'invalid', reason: 'malformed callback' };
    return {
      kind: 'callback',
      id: c.id,
      request: c.request,
      callback: 'postRender',
      manifests: typeof c.manifests === 'string' ? c.manifests : '',
    };
  }
  if (typeof v.id !== 'number') return { kind: 'invalid', reason: 'response without a numeric id' };
  if (v.ok === true) return { kind: 'response', id: v.id, ok: true, result: v.result };
  return { kind: 'response', id: v.id, ok: false, error: toHelmError(v.error) };
}

/** The request line for an operation. */
export function encodeRequest(id: number, op: string, params: unknown): string {
  return `${JSON.stringify({ id, op, params })}\n`;
}

export function encodeCancel(id: number): string {
  return `${JSON.stringify({ id: 0, op: '$cancel', params: { id } })}\n`;
}

export function encodeCallbackReply(callback: number, reply: { manifests: string } | { error: string }): string {
  return `${JSON.stringify({ id: 0, op: '$callback', params: { callback, ...reply } })}\n`;
}

/** Splits a growing stdout buffer into complete lines and the unfinished rest. */
export function splitLines(buffer: string): { lines: string[]; rest: string } {
  const parts = buffer.split('\n');
  const rest = parts.pop() ?? '';
  return { lines: parts.filter((l) => l.length > 0), rest };
}
