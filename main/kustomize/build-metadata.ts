/**
 * `buildMetadata` of the top kustomization: where each resource came from (`config.kubernetes.io/origin`), which
 * transformers ran over it (`alpha.config.kubernetes.io/transformations`) and kustomize's managed-by label. Paths
 * are relative to the top kustomization's directory, as kustomize writes them. Only the top kustomization's list
 * counts; the annotations are added after everything else, so they never change a hash suffix.
 */
import { posix } from 'node:path';

import { KustomizeError } from './errors.ts';
import type { Res } from './resource.ts';

export const ORIGIN_ANNOTATION = 'config.kubernetes.io/origin';
export const TRANSFORMATIONS_ANNOTATION = 'alpha.config.kubernetes.io/transformations';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/** kubectl's kustomize reports no release version of its own. */
export const MANAGED_BY_VALUE = 'kustomize-(devel)';

export interface BuildMetadata {
  origin: boolean;
  transformations: boolean;
  managedBy: boolean;
}

export function parseBuildMetadata(value: unknown, file: string): BuildMetadata {
  if (value === undefined || value === null) return { origin: false, transformations: false, managedBy: false };
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new KustomizeError({ file, message: "'buildMetadata' must be a list of strings" });
  }
  // kubectl ignores values it does not know (a misspelt option does nothing), so this does too.
  return {
    origin: value.includes('originAnnotations'),
    transformations: value.includes('transformerAnnotations'),
    managedBy: value.includes('managedByLabel'),
  };
}

/** Who configured a generator or transformer: a kustomization field (builtin, no name) or a plugin config. */
export interface ConfiguredBy {
  /** Build-filesystem path of the kustomization or plugin config file. */
  path: string;
  kind: string;
  /** A plugin config's apiVersion and name; a kustomization field has apiVersion builtin and no name. */
  apiVersion?: string;
  name?: string;
}

export class OriginTracker {
  private readonly topDir: string;

  constructor(topDir: string) {
    this.topDir = topDir;
  }

  private rel(path: string): string {
    return posix.relative(this.topDir || '.', path || '.') || '.';
  }

  private configured(by: ConfiguredBy, indent: string): string {
    const name = by.name ? `${indent}  name: ${by.name}\n` : '';
    return (
      `configuredIn: ${this.rel(by.path)}\n${indent}configuredBy:\n${indent}  apiVersion: ${by.apiVersion ?? 'builtin'}\n` +
      `${indent}  kind: ${by.kind}\n${name}`
    );
  }

  /** A resource read from a file. */
  fromFile(r: Res, path: string): void {
    r.origin = `path: ${this.rel(path)}\n`;
  }

  /** A resource a generator made. */
  generatedBy(r: Res, by: ConfiguredBy): void {
    r.origin = this.configured(by, '');
  }

  /** A transformer ran over these resources. */
  transformedBy(list: readonly Res[], by: ConfiguredBy): void {
    const entry = `- ${this.configured(by, '  ')}`;
    for (const r of list) r.transformations = [...(r.transformations ?? []), entry];
  }
}

/** Writes what the top kustomization's buildMetadata asks for into the objects. */
export function applyBuildMetadata(list: readonly Res[], meta: BuildMetadata): void {
  for (const r of list) {
    const md = r.obj.metadata;
    if (meta.origin && r.origin) md.annotations = { ...md.annotations, [ORIGIN_ANNOTATION]: r.origin };
    if (meta.transformations && r.transformations?.length) {
      md.annotations = { ...md.annotations, [TRANSFORMATIONS_ANNOTATION]: r.transformations.join('') };
    }
    if (meta.managedBy) md.labels = { ...md.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE };
  }
}
