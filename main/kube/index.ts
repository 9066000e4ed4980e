// The public surface of main/kube: what the engine, controllers, api and cli import. See README.md in this folder.
export {
  compareRefs,
  isClassDefinition,
  isClusterDefinition,
  sortForApply,
  sortForDelete,
  stagesOf,
} from './apply-order.ts';
export {
  anyInMetadata,
  type ApplyPolicy,
  fluxApplyPolicy,
  type MetadataSelector,
  type Owner,
  ownerLabels,
  pruneExclusions,
} from './apply-policy.ts';
export { type AuthHealth, AuthHealthRegistry } from './auth-health.ts';
export { type Action, changed, changeEntry, type ChangeSetEntry, changeSetMessage } from './change-set.ts';
export {
  ClusterClient,
  type ClusterClientOptions,
  clusterFromKubeconfigYaml,
  createClusterClient,
  defaultAuthHealth,
  type DeleteOptions,
  type EventOptions,
  type Impersonation,
  keyOf,
  type KubeList,
  type ListOptions,
  type ObjectKey,
  openCluster,
  type PatchOptions,
  type PatchType,
  type TypeKey,
  type WatchOptions,
  type WriteOptions,
} from './cluster-client.ts';
export { ExecCredentialProvider } from './exec-credential.ts';
export {
  apiVersionOf,
  type Inventory,
  type InventoryEntry,
  inventoryFromChangeSet,
  type InventoryRef,
  inventoryRefs,
  staleObjects,
} from './inventory.ts';
export { computeStatus, type HealthResult, type HealthStatus } from './kstatus.ts';
export { isConflict, isKubeError, isNotFound, KubeError, type KubeErrorReason } from './kube-error.ts';
export {
  type AuthMethod,
  type ContextSummary,
  type Kubeconfig,
  kubeconfigPaths,
  listContexts,
  type LoadedKubeconfig,
  loadKubeconfig,
  resolveContext,
  type ResolvedContext,
} from './kubeconfig.ts';
export { type KubeconfigStore, openKubeconfigStore } from './kubeconfig-store.ts';
export { ownersOf } from './managed-fields.ts';
export { diffObjects, type FieldChange, hasDrifted, maskForDisplay } from './object-diff.ts';
export {
  ApplyError,
  type ApplyOptions,
  type ChangeSet,
  type DeleteAllOptions,
  DeleteError,
  type ObjectDiff,
  ResourceManager,
  type ResourceManagerOptions,
} from './resource-manager.ts';
export { type ResourceInfo, RestMapper } from './rest-mapper.ts';
export type { RequestStats } from './rest-transport.ts';
export {
  type ObjectStatus,
  pollStatuses,
  WaitError,
  waitForSet,
  waitForTermination,
  type WaitTarget,
} from './status-poller.ts';
export {
  type CacheEvent,
  type CacheState,
  type CacheStatus,
  createWatchCache,
  type WatchCache,
  type WatchCacheOptions,
  type WatchCacheStats,
} from './watch-cache.ts';
export type { WatchEvent } from './watch-stream.ts';
