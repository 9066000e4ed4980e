// The workbench's surface for the bindings (main/api, main/cli, main/headless, main/electron); see README.md.
export {
  BootstrapFailed,
  BootstrapInputError,
  type BootstrapPlan,
  bootstrapPlan,
  type BootstrapStep,
  runBootstrap,
} from './bootstrap.ts';
export { BOOTSTRAP_TIMEOUT_MS, bootstrapHint, type BootstrapInput, bootstrapRuns } from './bootstrap-runs.ts';
export type { SshPlanInput } from './bootstrap-ssh.ts';
export { createWorkbench, type WorkbenchEngine, type WorkbenchOptions } from './create-workbench.ts';
export {
  type CredentialStore,
  layeredCredentialStore,
  memoryCredentialStore,
  type StoredCredentials,
} from './credential-store.ts';
export { createNotificationViews, type NotificationsPort, type ReceiverControl } from './notification-views.ts';
export {
  type ArtifactDiff,
  ArtifactError,
  credentialsFor,
  DEFAULT_IGNORE_PATHS,
  diffArtifact,
  listArtifacts,
  type ListedArtifact,
  parseArtifactUrl,
  pullArtifact,
  type PulledArtifact,
  pushArtifact,
  type PushedArtifact,
  type RegistryAccess,
  tagArtifact,
} from './oci-artifacts.ts';
export { type AppSettings, memorySettingsFile, openSettingsFile, type SettingsFile } from './settings-file.ts';
export type {
  ActionOptions,
  BootstrapPort,
  EngineChange,
  EngineOutcome,
  EngineSnapshot,
  HelmReleasePort,
  ImagesPort,
  InboxChange,
  InboxPort,
  ObjectLive,
  PreviewStep,
  ProgressStep,
  Workbench,
  WorkTreePort,
} from './workbench.ts';
