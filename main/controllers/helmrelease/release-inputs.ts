import type { HelmRelease } from '../../flux/helm.ts';
import type { Artifact } from '../../flux/source.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import type { ArtifactStore } from '../../sources/artifacts/artifact-store.ts';
import { openArtifact } from '../../sources/artifacts/open-artifact.ts';
import type { KubeObject } from '../../util/kube-object.ts';
import { chartMetadata } from './chart-source.ts';
import type { LocalChart } from './ports.ts';
import type { ValuesSource } from './values.ts';

/**
 * What a HelmRelease is released from, read the same way by the reconciler, `fluxdeck helm template` / `diff
 * helmrelease` and the editor's preview: the chart archive in the artifact store, and the ConfigMaps and Secrets
 * that valuesFrom names.
 */

/** The chart archive in the store, and its Chart.yaml. Helm loads a `.tgz` whose files sit in one top directory. */
export async function openChart(store: ArtifactStore, artifact: Artifact, signal: AbortSignal): Promise<LocalChart> {
  signal.throwIfAborted();
  const files = await openArtifact(store, artifact);
  const meta = chartMetadata(files.files.keys(), (p) => files.readFile(p));
  if (!meta.dir) {
    throw new Error(
      `artifact ${artifact.path} holds a chart at its root; Helm needs the chart in a top directory (push the packaged chart, e.g. with helm push)`,
    );
  }
  return {
    path: store.localPath(artifact),
    name: meta.name,
    version: meta.version,
    ...(meta.appVersion ? { appVersion: meta.appVersion } : {}),
  };
}

/** The kinds valuesFrom may name. */
export const VALUES_KINDS: readonly string[] = ['ConfigMap', 'Secret'];

/** Reads every ConfigMap and Secret that valuesFrom names (once each), decoding Secret data. */
export async function readValuesSources(
  client: ClusterClient,
  hr: HelmRelease,
  signal: AbortSignal,
): Promise<ValuesSource> {
  const ns = hr.metadata.namespace ?? '';
  const found = new Map<string, Record<string, string> | undefined>();
  for (const ref of hr.spec.valuesFrom ?? []) {
    const key = `${ref.kind}/${ref.name}`;
    if (found.has(key) || !VALUES_KINDS.includes(ref.kind)) continue;
    const obj = await client.tryGet<KubeObject & { data?: Record<string, string> }>(
      { apiVersion: 'v1', kind: ref.kind, namespace: ns, name: ref.name },
      { signal },
    );
    const data = obj?.data ?? {};
    found.set(
      key,
      obj === undefined
        ? undefined
        : ref.kind === 'Secret'
          ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]))
          : data,
    );
  }
  return (kind, name) => found.get(`${kind}/${name}`);
}
