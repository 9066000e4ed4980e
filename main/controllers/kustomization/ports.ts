import type { Kustomization, KustomizationStatus } from '../../flux/kustomize.ts';
import type { Artifact } from '../../flux/source.ts';
import type { ChangeSetEntry } from '../../kube/change-set.ts';
import type { InventoryRef } from '../../kube/inventory.ts';
import type { KubeObject, ObjectRef } from '../../util/kube-object.ts';

/**
 * What the Kustomization reconciler needs from the world, as small interfaces (ARCHITECTURE.md rule 5: planning is
 * pure, effects sit at the edges). controller.ts wires them to main/kube, main/sources and main/kustomize; unit
 * tests can wire them to fakes.
 */

export type SourceLookup =
  | { found: false }
  | { found: true; kind: string; supported: boolean; artifact?: Artifact; ready: boolean; message?: string };

/** An opened artifact: whatever the build port needs to read files (an in-memory tree, or a directory). */
export type ArtifactFiles = unknown;

export interface BuildInput {
  files: ArtifactFiles;
  /** `spec.path`, relative to the artifact root. */
  path: string;
  kustomization: Kustomization;
  /** postBuild variables; undefined means substitution does not run. */
  vars?: Record<string, string>;
}

export type HealthResult = { healthy: true } | { healthy: false; message: string };

/** What applies to the target cluster (impersonated or remote) on behalf of one Kustomization. */
export interface Applier {
  /** Staged server-side apply; returns every object's action (unchanged ones included). */
  apply(
    objects: KubeObject[],
    opts: { force: boolean; timeoutMs: number; signal: AbortSignal },
  ): Promise<ChangeSetEntry[]>;
  /** Deletes stale objects (owner-label and prune-annotation guards apply); returns what was deleted or skipped. */
  prune(stale: InventoryRef[], opts: { signal: AbortSignal }): Promise<ChangeSetEntry[]>;
  /** Waits until every object is Current (kstatus) or the timeout passes. */
  waitHealthy(
    refs: (ObjectRef & { version?: string; apiVersion?: string })[],
    opts: { timeoutMs: number; signal: AbortSignal },
  ): Promise<HealthResult>;
}

export interface KustomizationEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  revision?: string;
  /** Objects whose live state had drifted and were put back (the inbox's "drift corrected"). */
  drifted?: ChangeSetEntry[];
}

export interface KustomizationPorts {
  source(ks: Kustomization): SourceLookup;
  dependency(namespace: string, name: string): Kustomization | undefined;
  openArtifact(artifact: Artifact, signal: AbortSignal): Promise<ArtifactFiles>;
  /** True if `path` exists as a directory in the artifact (Flux's "kustomization path not found"). */
  hasPath(files: ArtifactFiles, path: string): boolean;
  build(input: BuildInput, signal: AbortSignal): Promise<KubeObject[]>;
  /**
   * `sha256:<hex>` of the built manifests as a YAML stream: the digest of a `status.history` snapshot. Measured with
   * the real kustomize-controller 1.9.6 on the same revision, its digest differs (it hashes kustomize's own YAML
   * bytes): after a hand-off each engine's build is a snapshot of its own, which History.Upsert allows.
   */
  manifestsDigest(objects: KubeObject[]): string;
  /** postBuild variables from `substitute` and `substituteFrom`, or undefined when postBuild is not set. */
  variables(ks: Kustomization, signal: AbortSignal): Promise<Record<string, string> | undefined>;
  applier(ks: Kustomization, signal: AbortSignal): Promise<Applier>;
  /** Writes `status` (the whole status, as computed). */
  writeStatus(ks: Kustomization, status: KustomizationStatus): Promise<void>;
  setFinalizer(ks: Kustomization, present: boolean): Promise<void>;
  event(ks: Kustomization, event: KustomizationEvent): void;
  /** Requeue delay while a source or dependency is not ready (Flux's `--requeue-dependency`). */
  requeueDependencyMs: number;
  now(): Date;
}
