/**
 * Fluxdeck's copies of the Flux CRDs: one YAML file per CRD under resources/crds, written from Flux's API reference
 * with the same group, names, versions and validation as Flux's own, and labelled as Fluxdeck's.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parseAllDocuments } from 'yaml';

import type { KubeObject } from '../../util/kube-object.ts';
import { resourcePath } from '../../util/paths.ts';

export const CRD_API_VERSION = 'apiextensions.k8s.io/v1';

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  [key: string]: unknown;
}

export interface CustomResourceDefinition extends KubeObject {
  spec: {
    group: string;
    names: { kind: string; plural: string; singular?: string; shortNames?: string[]; categories?: string[] };
    scope: 'Namespaced' | 'Cluster';
    versions: CrdVersion[];
    [key: string]: unknown;
  };
  status?: {
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    storedVersions?: string[];
    acceptedNames?: { kind: string; plural: string };
  };
}

/** Labels that mark a CRD as installed by Fluxdeck (and so safe for Fluxdeck to update). */
export const FLUXDECK_LABELS = {
  'app.kubernetes.io/managed-by': 'fluxdeck',
  'app.kubernetes.io/part-of': 'fluxdeck',
} as const;

export function crdDirectory(): string {
  return resourcePath('crds');
}

/**
 * Reads every CRD manifest in `dir` (default resources/crds), sorted by file name. An unreadable or malformed file is
 * an Error naming the file and, for YAML errors, the line.
 */
export async function loadCrdManifests(dir = crdDirectory()): Promise<CustomResourceDefinition[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  } catch (err) {
    throw new Error(`cannot read Fluxdeck's CRD manifests in ${dir}; is the installation complete?`, { cause: err });
  }
  const crds: CustomResourceDefinition[] = [];
  for (const file of files) {
    const path = join(dir, file);
    crds.push(...parseCrdManifests(await readFile(path, 'utf8'), path));
  }
  return crds;
}

/** Parses a YAML stream of CRDs (anchors allowed); `source` names the file in errors. */
export function parseCrdManifests(text: string, source: string): CustomResourceDefinition[] {
  const out: CustomResourceDefinition[] = [];
  for (const doc of parseAllDocuments(text)) {
    const [error] = doc.errors;
    if (error) {
      const line = error.linePos?.[0].line;
      throw new Error(`${source}${line ? `:${line}` : ''}: invalid YAML: ${error.message}`, { cause: error });
    }
    const value: unknown = doc.toJS({ maxAliasCount: -1 });
    if (value === null || value === undefined) continue;
    if (!isCrd(value)) {
      throw new Error(`${source}: expected ${CRD_API_VERSION} CustomResourceDefinition documents only`);
    }
    out.push(value);
  }
  return out;
}

function isCrd(value: unknown): value is CustomResourceDefinition {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<CustomResourceDefinition>;
  return (
    v.apiVersion === CRD_API_VERSION &&
    v.kind === 'CustomResourceDefinition' &&
    typeof v.metadata?.name === 'string' &&
    Array.isArray(v.spec?.versions)
  );
}
