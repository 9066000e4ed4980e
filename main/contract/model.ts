/**
 * The data the renderer sees: kubeconfig contexts, Flux objects, the workloads in their inventories, action progress
 * and the overall health. Schemas are declared once here; the TypeScript types are inferred from them. Nothing in
 * these shapes can carry a Secret's data: objects are summarised by the engine, and live YAML (object detail) has
 * Secret values removed before it leaves main.
 */
import { z } from 'zod';

// Kubernetes limits: names are DNS subdomains (253), namespaces DNS labels (63). Context names come from users'
// kubeconfigs and can be long ARNs, so they get a generous bound rather than a pattern.
export const ClusterName = z.string().min(1).max(512);
export const Namespace = z.string().max(63);
export const Name = z.string().min(1).max(253);
export const Kind = z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,62}$/, 'a Kubernetes kind such as Kustomization');
export const Group = z.string().max(253);
export const Uid = z.string().min(1).max(128);

/** Identifies one object in one connected cluster. `group` is '' for the core group, `namespace` '' if cluster-scoped. */
export const ObjectKey = z.strictObject({
  cluster: ClusterName,
  group: Group,
  kind: Kind,
  namespace: Namespace,
  name: Name,
});
export type ObjectKey = z.infer<typeof ObjectKey>;

/** An object reference without the cluster: inventory entries, source references. */
export const ObjectRef = z.object({ group: Group, kind: Kind, namespace: Namespace, name: Name });
export type ObjectRef = z.infer<typeof ObjectRef>;

/** The Flux kinds the actions accept (reconcile, suspend, resume). */
export const FLUX_GROUPS = {
  GitRepository: 'source.toolkit.fluxcd.io',
  OCIRepository: 'source.toolkit.fluxcd.io',
  HelmRepository: 'source.toolkit.fluxcd.io',
  HelmChart: 'source.toolkit.fluxcd.io',
  Bucket: 'source.toolkit.fluxcd.io',
  Kustomization: 'kustomize.toolkit.fluxcd.io',
  HelmRelease: 'helm.toolkit.fluxcd.io',
  ImageRepository: 'image.toolkit.fluxcd.io',
  ImagePolicy: 'image.toolkit.fluxcd.io',
  ImageUpdateAutomation: 'image.toolkit.fluxcd.io',
  Receiver: 'notification.toolkit.fluxcd.io',
  Alert: 'notification.toolkit.fluxcd.io',
  Provider: 'notification.toolkit.fluxcd.io',
} as const;
export type FluxGroups = typeof FLUX_GROUPS;
export type FluxKind = keyof FluxGroups;
export const FluxKind = z.enum(Object.keys(FLUX_GROUPS) as [FluxKind, ...FluxKind[]]);

/** A Flux object to act on: the group is implied by the kind, and every Flux object we act on is namespaced. */
export const FluxKey = z.strictObject({
  cluster: ClusterName,
  kind: FluxKind,
  namespace: Namespace.min(1),
  name: Name,
});
export type FluxKey = z.infer<typeof FluxKey>;

export const ConditionStatus = z.enum(['True', 'False', 'Unknown']);
export const Condition = z.object({
  type: z.string(),
  status: ConditionStatus,
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
  observedGeneration: z.number().int().optional(),
});
export type Condition = z.infer<typeof Condition>;

// ---------------------------------------------------------------------------------------------------------------
// Clusters

export const ConnectionState = z.enum(['disconnected', 'connecting', 'connected', 'error']);
export type ConnectionState = z.infer<typeof ConnectionState>;

export const AuthMethod = z.enum(['client-certificate', 'token', 'exec', 'oidc', 'basic', 'none', 'unknown']);
/**
 * Auth health, so a failing exec plugin or an expired token is visible before it breaks a reconcile.
 * `hint` says what to do ("`aws` was not found on PATH; install the AWS CLI or set an absolute path in the kubeconfig").
 */
export const AuthHealth = z.object({
  method: AuthMethod,
  status: z.enum(['ok', 'unknown', 'expiring', 'expired', 'failing', 'missing-plugin']),
  hint: z.string().optional(),
  expiresAt: z.string().optional(),
  lastSuccessAt: z.string().optional(),
});
export type AuthHealth = z.infer<typeof AuthHealth>;

/** One kubeconfig context and how Fluxdeck is connected to it. */
export const ClusterInfo = z.object({
  /** The kubeconfig context name; it names the cluster everywhere in the contract. */
  name: ClusterName,
  server: z.string(),
  /** The kubeconfig's current-context. */
  current: z.boolean(),
  defaultNamespace: z.string().optional(),
  state: ConnectionState,
  auth: AuthHealth,
  /** Why the connection failed, and what to do about it. */
  error: z.string().optional(),
  /** `reconciling`: Fluxdeck's controllers run here. `observing`: in-cluster Flux (or another Fluxdeck) holds the lease. */
  mode: z.enum(['reconciling', 'observing']).optional(),
  /**
   * Which engine reconciles the cluster, by live evidence (leader-election Leases): `desktop` (a Fluxdeck instance),
   * `flux` (in-cluster Flux, `version` its tag when known), `none`, or `both` (Flux and another Fluxdeck fight over
   * the objects: an error to fix).
   */
  engine: z.object({ kind: z.enum(['desktop', 'flux', 'none', 'both']), version: z.string().optional() }).optional(),
  /**
   * While `observing`: who reconciles instead and why this context waits, e.g. another context of this Fluxdeck to
   * the same API server, another instance holding the lease, or in-cluster Flux.
   */
  observingWhy: z.string().max(500).optional(),
  serverVersion: z.string().optional(),
});
export type ClusterInfo = z.infer<typeof ClusterInfo>;

// ---------------------------------------------------------------------------------------------------------------
// Flux objects and workloads

/** The reference a Flux object takes its artifact from (`spec.sourceRef`, a HelmRelease's chart source or chartRef). */
export const SourceRef = z.object({ group: Group, kind: Kind, namespace: Namespace, name: Name });

export const Revisions = z.object({
  /** Sources: `status.artifact.revision` (e.g. `main@sha1:…`). */
  artifact: z.string().optional(),
  /** Kustomization, HelmRelease: the revision last applied successfully, and the one last attempted. */
  lastApplied: z.string().optional(),
  lastAttempted: z.string().optional(),
});

export const LabelSelectorSchema = z.object({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(z.object({ key: z.string(), operator: z.string(), values: z.array(z.string()).optional() }))
    .optional(),
});

/** What the engine reports for every Flux object: a summary of spec and status, never the whole object. */
export const FluxObjectData = z.object({
  uid: Uid,
  cluster: ClusterName,
  group: Group,
  version: z.string(),
  kind: Kind,
  namespace: Namespace,
  name: Name,
  resourceVersion: z.string(),
  generation: z.number().int(),
  observedGeneration: z.number().int().optional(),
  suspended: z.boolean(),
  conditions: z.array(Condition),
  sourceRef: SourceRef.optional(),
  /**
   * ImageUpdateAutomation: `spec.policySelector` (absent: every ImagePolicy of its namespace), so the graph links
   * the policies it will use before its first run has observed them. Its `sourceRef` is the GitRepository it pushes
   * to, so the graph draws that edge the other way.
   */
  policySelector: LabelSelectorSchema.optional(),
  /** ImagePolicy: `metadata.labels`, which automations' policy selectors read. */
  labels: z.record(z.string(), z.string()).optional(),
  /** `spec.dependsOn` (same kind as the object). */
  dependsOn: z.array(z.object({ namespace: Namespace, name: Name })),
  /** `status.inventory.entries`, parsed; undefined for kinds without an inventory. */
  inventory: z.array(ObjectRef).optional(),
  revision: Revisions,
  interval: z.string().optional(),
  /** Sources: the URL they fetch from (credentials never included). */
  url: z.string().optional(),
  /** Kustomization: `spec.path`. */
  path: z.string().optional(),
  lastHandledReconcileAt: z.string().optional(),
  createdAt: z.string().optional(),
});
export type FluxObjectData = z.infer<typeof FluxObjectData>;

/**
 * The state main derives from conditions, so the renderer does not re-implement Flux semantics:
 * `suspended` wins, then `progressing` (Reconciling=True, a generation not yet observed, or Ready=Unknown), `failed`
 * (Stalled=True or Ready=False), `ready` (Ready=True), else `unknown`.
 */
export const FluxStatus = z.enum(['ready', 'progressing', 'failed', 'suspended', 'unknown']);
export type FluxStatus = z.infer<typeof FluxStatus>;
export const FluxState = z.object({
  status: FluxStatus,
  reconciling: z.boolean(),
  reason: z.string().optional(),
  message: z.string().optional(),
  since: z.string().optional(),
});
export type FluxState = z.infer<typeof FluxState>;

export const FluxObject = FluxObjectData.extend({ state: FluxState });
export type FluxObject = z.infer<typeof FluxObject>;

/** kstatus' result (cli-utils `status` package), plus NotFound for inventory entries that do not exist. */
export const Health = z.enum(['Current', 'InProgress', 'Failed', 'Terminating', 'NotFound', 'Unknown']);
export type Health = z.infer<typeof Health>;

/** A workload from a Flux inventory (Deployment, StatefulSet, DaemonSet, Job, ...) with its kstatus health. */
export const Workload = z.object({
  uid: Uid,
  cluster: ClusterName,
  group: Group,
  kind: Kind,
  namespace: Namespace,
  name: Name,
  resourceVersion: z.string(),
  health: Health,
  message: z.string(),
  replicas: z.object({ desired: z.number().int(), ready: z.number().int() }).optional(),
  /**
   * The HelmRelease whose release made it, from helm-controller's origin labels (`helm.toolkit.fluxcd.io/name` and
   * `/namespace`): a HelmRelease has no inventory in its status, so this is how the graph finds its workloads.
   */
  helmRelease: z.object({ namespace: Namespace, name: Name }).optional(),
});
export type Workload = z.infer<typeof Workload>;

export const GraphSnapshot = z.object({ objects: z.array(FluxObject), workloads: z.array(Workload) });
export type GraphSnapshot = z.infer<typeof GraphSnapshot>;

export const Removal = z.object({ what: z.enum(['object', 'workload']), uid: Uid, cluster: ClusterName });
export type Removal = z.infer<typeof Removal>;

/** A batch of changes: upserts (newest state of each uid) and removals. */
export const GraphDelta = z.object({
  objects: z.array(FluxObject),
  workloads: z.array(Workload),
  removed: z.array(Removal),
});
export type GraphDelta = z.infer<typeof GraphDelta>;

// ---------------------------------------------------------------------------------------------------------------
// Object detail

export const KubeEvent = z.object({
  type: z.enum(['Normal', 'Warning']),
  reason: z.string(),
  message: z.string(),
  count: z.number().int(),
  firstSeen: z.string().optional(),
  lastSeen: z.string().optional(),
  /** The reporting component, e.g. `kustomize-controller`. */
  source: z.string().optional(),
});
export type KubeEvent = z.infer<typeof KubeEvent>;

/** One object in full: live YAML (managedFields stripped, Secret values never included) and its events. */
export const ObjectDetail = z.object({
  key: ObjectKey,
  yaml: z.string(),
  events: z.array(KubeEvent),
  /** Present for Flux objects. */
  flux: FluxObject.optional(),
  /** Present for workloads. */
  workload: Workload.optional(),
});
export type ObjectDetail = z.infer<typeof ObjectDetail>;

/** What applying a Kustomization would change, per object (like `flux diff kustomization`). */
export const DiffEntry = z.object({
  ref: ObjectRef,
  action: z.enum(['create', 'update', 'delete', 'unchanged']),
  /**
   * For `update`: one line per field, `+ path: value` (added), `- path: value` (removed), `~ path: live → desired`,
   * each with the field manager that set the live value when known.
   */
  diff: z.string().optional(),
  /** Why the server-side dry run refused this object. */
  error: z.string().optional(),
});
export type DiffEntry = z.infer<typeof DiffEntry>;
export const KustomizationDiff = z.object({
  key: FluxKey,
  revision: z.string().optional(),
  entries: z.array(DiffEntry),
});
export type KustomizationDiff = z.infer<typeof KustomizationDiff>;

// ---------------------------------------------------------------------------------------------------------------
// Actions

/** Chosen by the client so progress events can be matched to the request before its result arrives. */
export const ActionId = z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'a UUID-like id');

export const ActionPhase = z.enum(['requested', 'source', 'waiting', 'succeeded', 'failed']);
export type ActionPhase = z.infer<typeof ActionPhase>;

/** Progress of an action (reconcile, suspend, resume, the Helm actions), pushed until the result arrives. */
export const ActionProgress = z.object({
  actionId: ActionId,
  key: FluxKey,
  phase: ActionPhase,
  message: z.string(),
  at: z.string(),
});
export type ActionProgress = z.infer<typeof ActionProgress>;

export const ActionKind = z.enum([
  'reconcile',
  'reconcile-with-source',
  'suspend',
  'resume',
  'force-upgrade',
  'reset',
  'test',
  'rollback',
  'uninstall',
]);
export type ActionKind = z.infer<typeof ActionKind>;

/**
 * How an action ended. A reconcile that ran and left Ready=False is an outcome (`ok: false`), not an error: the
 * request did what it was asked. Errors (not found, suspended, not connected, timed out) come as the error envelope.
 */
export const ActionOutcome = z.object({
  actionId: ActionId,
  key: FluxKey,
  action: ActionKind,
  ok: z.boolean(),
  message: z.string(),
  revision: z.string().optional(),
  durationMs: z.number(),
});
export type ActionOutcome = z.infer<typeof ActionOutcome>;

// ---------------------------------------------------------------------------------------------------------------
// App

export const Capabilities = z.object({
  shell: z.enum(['electron', 'browser']),
  version: z.string(),
  platform: z.string(),
  tray: z.boolean(),
  notifications: z.boolean(),
});
export type Capabilities = z.infer<typeof Capabilities>;

export const OverallHealth = z.enum(['healthy', 'progressing', 'degraded', 'idle']);
export type OverallHealth = z.infer<typeof OverallHealth>;

/** The summary the tray and the status bar show. */
export const HealthSummary = z.object({
  overall: OverallHealth,
  connectedClusters: z.number().int(),
  failing: z.number().int(),
  progressing: z.number().int(),
  suspended: z.number().int(),
  ready: z.number().int(),
  unhealthyWorkloads: z.number().int(),
  unreadAlerts: z.number().int(),
  paused: z.boolean(),
});
export type HealthSummary = z.infer<typeof HealthSummary>;

/** Menu and tray commands main forwards to the renderer. */
export const AppCommand = z.object({
  command: z.enum(['palette', 'search', 'fit', 'shortcuts', 'reconcile', 'suspend-toggle', 'inbox']),
  /** `inbox`: the items to show (an OS notification's items); the first is selected. */
  itemIds: z.array(z.number().int()).max(1000).optional(),
});
export type AppCommand = z.infer<typeof AppCommand>;
