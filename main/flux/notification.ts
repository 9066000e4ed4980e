/**
 * `notification.toolkit.fluxcd.io`: Provider and Alert (v1beta3, configuration without status) and Receiver (v1)
 * (notification-controller `api/v1beta3`, `api/v1`).
 */
import { createHash } from 'node:crypto';

import type { KubeObject, ObjectMeta } from '../util/kube-object.ts';
import type { FluxObject, FluxStatus, LocalObjectReference } from './meta.ts';

export const PROVIDER_TYPES = [
  'slack',
  'discord',
  'msteams',
  'rocket',
  'generic',
  'generic-hmac',
  'github',
  'gitlab',
  'gitea',
  'giteapullrequestcomment',
  'bitbucketserver',
  'bitbucket',
  'azuredevops',
  'googlechat',
  'googlepubsub',
  'webex',
  'sentry',
  'azureeventhub',
  'telegram',
  'lark',
  'matrix',
  'opsgenie',
  'alertmanager',
  'grafana',
  'githubdispatch',
  'githubpullrequestcomment',
  'gitlabmergerequestcomment',
  'pagerduty',
  'datadog',
  'nats',
  'zulip',
  'otel',
] as const;

export type ProviderType = (typeof PROVIDER_TYPES)[number];

/** Provider types that write commit statuses rather than messages. */
export const COMMIT_STATUS_PROVIDERS: readonly ProviderType[] = [
  'github',
  'gitlab',
  'gitea',
  'bitbucketserver',
  'bitbucket',
  'azuredevops',
];

export interface ProviderSpec {
  type: ProviderType;
  /** Deprecated and ignored. */
  interval?: string;
  channel?: string;
  username?: string;
  /** The Secret's `address` key overrides it. */
  address?: string;
  /** Defaults to 15s. */
  timeout?: string;
  /** Deprecated: use proxySecretRef. */
  proxy?: string;
  proxySecretRef?: LocalObjectReference;
  /** Keys: address, token, username, password, headers, proxy. */
  secretRef?: LocalObjectReference;
  serviceAccountName?: string;
  certSecretRef?: LocalObjectReference;
  suspend?: boolean;
  /** Commit-status providers only (CRD-validated). */
  commitStatusExpr?: string;
}

/** A Flux object without status: v1beta3 Provider and Alert are configuration only. */
interface StatuslessObject<Kind extends string, Spec> extends KubeObject {
  kind: Kind;
  metadata: ObjectMeta;
  spec: Spec;
}

export type Provider = StatuslessObject<'Provider', ProviderSpec>;

export const PROVIDER_DEFAULT_TIMEOUT = '15s';

/** The kinds whose events can be sent and whose reconciles a Receiver can request. */
export type EventSourceKind =
  | 'Bucket'
  | 'GitRepository'
  | 'Kustomization'
  | 'HelmRelease'
  | 'HelmChart'
  | 'HelmRepository'
  | 'ImageRepository'
  | 'ImagePolicy'
  | 'ImageUpdateAutomation'
  | 'OCIRepository'
  | 'ArtifactGenerator'
  | 'ExternalArtifact';

export interface CrossNamespaceObjectReference {
  apiVersion?: string;
  kind: EventSourceKind;
  /** `*` selects all objects of the kind (a Receiver then requires matchLabels). */
  name: string;
  namespace?: string;
  matchLabels?: Record<string, string>;
}

export interface AlertSpec {
  providerRef: LocalObjectReference;
  /** `info` (default) sends everything, `error` only errors. */
  eventSeverity?: 'info' | 'error';
  eventSources: CrossNamespaceObjectReference[];
  inclusionList?: string[];
  eventMetadata?: Record<string, string>;
  exclusionList?: string[];
  /** Deprecated: use eventMetadata. */
  summary?: string;
  suspend?: boolean;
}

export type Alert = StatuslessObject<'Alert', AlertSpec>;

export type ReceiverType =
  | 'generic'
  | 'generic-hmac'
  | 'generic-oidc'
  | 'github'
  | 'gitlab'
  | 'bitbucket'
  | 'harbor'
  | 'dockerhub'
  | 'quay'
  | 'gcr'
  | 'nexus'
  | 'acr'
  | 'cdevents';

export interface OIDCProvider {
  issuerURL: string;
  audience?: string;
  variables?: { name: string; expression: string }[];
  validations: { expression: string; message: string }[];
}

export interface ReceiverSpec {
  type: ReceiverType;
  /** CRD default 10m. */
  interval?: string;
  events?: string[];
  resources: (CrossNamespaceObjectReference & { filter?: string })[];
  resourceFilter?: string;
  /** Required except for generic-oidc (CRD-validated); key `token`. */
  secretRef?: LocalObjectReference;
  oidcProviders?: OIDCProvider[];
  suspend?: boolean;
}

export interface ReceiverStatus extends FluxStatus {
  /** `/hook/<hex sha256(token + name + namespace)>`. */
  webhookPath?: string;
}

export type Receiver = FluxObject<'Receiver', ReceiverSpec, ReceiverStatus>;

export const ReceiverReason = {
  Initialized: 'Initialized',
  ValidationFailed: 'ValidationFailed',
  TokenNotFound: 'TokenNotFound',
} as const;

/** `/hook/` + hex sha256 of token + name + namespace (the Receiver API's `GetWebhookPath`). */
export function receiverWebhookPath(token: string, name: string, namespace: string): string {
  return `/hook/${createHash('sha256')
    .update(token + name + namespace)
    .digest('hex')}`;
}
