/**
 * Flux's layer over kustomize (kustomize-controller and fluxcd/pkg/kustomize): a kustomization.yaml is generated
 * when the path has plain manifests only, the Kustomization's targetNamespace, namePrefix/nameSuffix, patches,
 * images and components are folded into it, the build runs without the load restrictor, then commonMetadata and
 * post-build substitution apply to every object.
 */
import type { KubeObject } from '../util/kube-object.ts';
import { budgeted, buildLoaded } from './build.ts';
import { KustomizeError } from './errors.ts';
import { type BuildFs, cleanPath, joinPath, shownPath } from './fs.ts';
import {
  findKustomizationFile,
  type ImageEntry,
  type Kustomization,
  type LoadedKustomization,
  loadKustomization,
  type PatchEntry,
} from './kustomization.ts';
import { isMapValue } from './resource.ts';
import type { Selector } from './selector.ts';
import { substitute } from './substitute.ts';
import { parseYamlDocument, parseYamlStream } from './yaml-parse.ts';

/** The fields of a Flux `Kustomization.spec` that shape the build. */
export interface FluxKustomizationSpec {
  path?: string;
  targetNamespace?: string;
  namePrefix?: string;
  nameSuffix?: string;
  patches?: { patch: string; target?: Selector }[];
  images?: ImageEntry[];
  components?: string[];
  ignoreMissingComponents?: boolean;
  commonMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  postBuild?: {
    substitute?: Record<string, string>;
    substituteFrom?: { kind: 'ConfigMap' | 'Secret'; name: string; optional?: boolean }[];
  };
}

export interface FluxBuildOptions {
  /**
   * Variables already read from `postBuild.substituteFrom` (in list order, later ones overwriting); the caller reads
   * the ConfigMaps and Secrets from the cluster. `postBuild.substitute` overrides them.
   */
  substituteFrom?: Record<string, string>;
  /** Flux's StrictPostBuildSubstitutions feature gate. */
  strictSubstitution?: boolean;
  maxFileBytes?: number;
  /** Most bytes all the files of the build may add up to (default 64 MiB). */
  maxTotalBytes?: number;
}

/** Reads the spec out of a Flux Kustomization manifest (the `--flux` file of the CLI). */
export function parseFluxKustomization(text: string, file: string): FluxKustomizationSpec {
  const doc = parseYamlDocument(text, file);
  if (!isMapValue(doc) || doc.kind !== 'Kustomization' || !isMapValue(doc.spec)) {
    throw new KustomizeError({ file, message: 'expected a kustomize.toolkit.fluxcd.io Kustomization with a spec' });
  }
  return doc.spec;
}

/** Flux's generated kustomization: sub-directories with a kustomization, and every .yaml/.yml file elsewhere. */
function scanResources(fs: BuildFs, root: string, maxFileBytes: number): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of fs.readDir(dir)) {
      const path = joinPath(dir, name);
      const rel = root === '' ? path : path.slice(root.length + 1);
      const kind = fs.kind(path);
      if (kind === 'dir') {
        if (findKustomizationFile(fs, path)) out.push(rel);
        else walk(path);
      } else if (kind === 'file' && (name.endsWith('.yaml') || name.endsWith('.yml'))) {
        const bytes = fs.readFile(path);
        const file = shownPath(fs, path);
        if (bytes.byteLength > maxFileBytes) {
          throw new KustomizeError({ file, message: `file is larger than the ${maxFileBytes}-byte limit` });
        }
        try {
          parseYamlStream(new TextDecoder().decode(bytes), file);
        } catch (err) {
          throw new KustomizeError({ file, message: `failed to decode Kubernetes YAML from ${file}` }, { cause: err });
        }
        out.push(rel);
      }
    }
  };
  walk(root);
  return out;
}

function overlay(fs: BuildFs, lk: LoadedKustomization, spec: FluxKustomizationSpec): LoadedKustomization {
  const k: Kustomization = { ...lk.k };
  if (spec.targetNamespace) k.namespace = spec.targetNamespace;
  if (spec.namePrefix) k.namePrefix = spec.namePrefix;
  if (spec.nameSuffix) k.nameSuffix = spec.nameSuffix;
  if (spec.patches?.length) {
    k.patches = [...(k.patches ?? []), ...spec.patches.map((p): PatchEntry => ({ patch: p.patch, target: p.target }))];
  }
  if (spec.images?.length) {
    const images = [...(k.images ?? [])];
    for (const img of spec.images) {
      const i = images.findIndex((e) => e.name === img.name);
      if (i >= 0) images[i] = img;
      else images.push(img);
    }
    k.images = images;
  }
  if (spec.components?.length) {
    const comps = spec.ignoreMissingComponents
      ? spec.components.filter((c) => fs.kind(joinPath(lk.dir, c)) === 'dir')
      : spec.components;
    k.components = [...(k.components ?? []), ...comps];
  }
  return { ...lk, k };
}

function applyCommonMetadata(objects: KubeObject[], meta: FluxKustomizationSpec['commonMetadata']): void {
  if (!meta) return;
  for (const obj of objects) {
    if (meta.labels && Object.keys(meta.labels).length)
      obj.metadata.labels = { ...obj.metadata.labels, ...meta.labels };
    if (meta.annotations && Object.keys(meta.annotations).length) {
      obj.metadata.annotations = { ...obj.metadata.annotations, ...meta.annotations };
    }
  }
}

/** What kustomize-controller builds for a Kustomization whose path is `dir` inside `fs`. */
export function fluxBuild(
  unlimited: BuildFs,
  dir: string,
  spec: FluxKustomizationSpec,
  options: FluxBuildOptions = {},
): KubeObject[] {
  const fs = budgeted(unlimited, options.maxTotalBytes);
  const root = cleanPath(dir);
  if (root === undefined || fs.kind(root) !== 'dir') {
    throw new KustomizeError({
      file: root === undefined ? dir : shownPath(fs, root),
      message: 'kustomization path not found',
    });
  }
  const maxFileBytes = options.maxFileBytes ?? 32 * 1024 * 1024;
  const lk: LoadedKustomization = findKustomizationFile(fs, root)
    ? loadKustomization(fs, root)
    : {
        dir: root,
        file: shownPath(fs, joinPath(root, 'kustomization.yaml')),
        isComponent: false,
        k: {
          apiVersion: 'kustomize.config.k8s.io/v1beta1',
          kind: 'Kustomization',
          resources: scanResources(fs, root, maxFileBytes),
        },
      };
  const objects = buildLoaded(fs, overlay(fs, lk, spec), { loadRestrictor: 'none', maxFileBytes });
  for (const obj of objects) {
    if (!obj.apiVersion || !obj.kind || !obj.metadata.name) {
      throw new KustomizeError({
        message: `object '${obj.kind}/${obj.metadata.name ?? ''}' lacks apiVersion, kind or name`,
      });
    }
  }
  applyCommonMetadata(objects, spec.commonMetadata);
  const post = spec.postBuild;
  if (!post) return objects;
  const vars = { ...options.substituteFrom, ...post.substitute };
  return substitute(objects, vars, { strict: options.strictSubstitution });
}
