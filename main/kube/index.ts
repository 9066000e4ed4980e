// The public surface of main/kube: what the engine, controllers, api and cli import. See README.md in this folder.
export { type AuthHealth, AuthHealthRegistry } from './auth-health.ts';
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
export { type ResourceInfo, RestMapper } from './rest-mapper.ts';
export type { RequestStats } from './rest-transport.ts';
export type { WatchEvent } from './watch-stream.ts';
