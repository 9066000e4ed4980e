/**
 * `kustomize build`: accumulate the resources of a kustomization (files, directories with their own
 * kustomizations, components), run its generators and transformers in kustomize's order, and at the top level add
 * hash suffixes, fix name references and sort. Pure over a BuildFs, synchronous so it runs the same on the main
 * thread and in a worker.
 */
import type { KubeObject } from '../util/kube-object.ts';
import { applyBuildMetadata, OriginTracker, parseBuildMetadata } from './build-metadata.ts';
import {
  configFromCrds,
  defaultConfig,
  mergeConfig,
  mergePartial,
  parseConfigFile,
  type TransformerConfig,
  withDefaults,
} from './config.ts';
import { KustomizeError } from './errors.ts';
import { type BuildFs, cleanPath, DEFAULT_MAX_TOTAL_BYTES, joinPath, shownPath, withReadBudget } from './fs.ts';
import { type FileReader, generate, mergeGenerated } from './generators.ts';
import { contentHash } from './hash.ts';
import { chartRequest, helmNotEnabled, type HelmRenderer, HelmRenderPending } from './helm-charts.ts';
import { afterJsonRoundTrip } from './json-round-trip.ts';
import {
  type GeneratorArgs,
  type Kustomization,
  type LoadedKustomization,
  loadKustomization,
  type PatchEntry,
  type ReplacementEntry,
} from './kustomization.ts';
import { fixNameReferences } from './name-reference.ts';
import { BUILTIN_OPENAPI_VERSIONS, parseOpenApiSchema, type PatchSchema } from './openapi.ts';
import { applyPatchesById, applyTargetedPatch, parsePatch } from './patches.ts';
import { type PluginConfig, type PluginHost, runGenerator, runTransformer } from './plugins.ts';
import { applyReplacements } from './replacements.ts';
import {
  describeRes,
  identity,
  isMapValue,
  legacySort,
  nameOf,
  namespaceOf,
  newRes,
  rememberName,
  type Res,
} from './resource.ts';
import type { Selector } from './selector.ts';
import { addLabels, addPrefixSuffix, setImages, setNamespace, setPairs, setReplicas } from './transformers.ts';
import { bindVars, resolveVars, type Var, varValues } from './vars.ts';
import { parseYamlDocument, parseYamlStream, RESOURCE_LIMITS, scalarText } from './yaml-parse.ts';

export interface BuildOptions {
  /** 'rootOnly' (kubectl's default) refuses files outside a kustomization's directory; Flux uses 'none'. */
  loadRestrictor?: 'rootOnly' | 'none';
  /** Largest file the build reads, in bytes (default 32 MiB). */
  maxFileBytes?: number;
  /** Most resources a build may produce (default 100,000). */
  maxResources?: number;
  /** Most bytes all the files a build reads may add up to (default 64 MiB). */
  maxTotalBytes?: number;
  /**
   * Inflates `helmCharts` (kustomize's --enable-helm). Without it a kustomization with charts is refused, as
   * kustomize and Flux refuse it. See buildWithHelm.
   */
  helm?: HelmRenderer;
}

/** The build's filesystem with its total read budget (withReadBudget), failing as a KustomizeError. */
export function budgeted(fs: BuildFs, maxTotalBytes = DEFAULT_MAX_TOTAL_BYTES): BuildFs {
  return withReadBudget(
    fs,
    maxTotalBytes,
    (path, total) =>
      new KustomizeError({
        file: shownPath(fs, path),
        message: `the build has read ${total} bytes, more than its ${maxTotalBytes}-byte budget: build a smaller path (spec.path), or exclude large files with .sourceignore or spec.ignore`,
      }),
  );
}

export interface BuildResult {
  objects: KubeObject[];
}

const REMOTE = /^(https?:\/\/|git@|ssh:\/\/|git::|github\.com\/|gitlab\.com\/|bitbucket\.org\/)|\?ref=|\/\/.*\?/;

class Builder {
  private readonly inProgress: string[] = [];
  private readonly restrict: boolean;
  private readonly maxFileBytes: number;
  private readonly maxResources: number;
  private readonly fs: BuildFs;
  private readonly helm: HelmRenderer | undefined;
  /** Every var declared anywhere in the build, in declaration order, and their names. */
  readonly vars: Var[] = [];
  /** Set when the top kustomization asks for origin or transformer annotations. */
  private readonly tracker: OriginTracker | undefined;
  private readonly varNames = new Set<string>();
  /**
   * The schema strategic merge uses (kustomize's process-wide openapi setting): the top kustomization's `openapi`
   * field decides; without one, the first kustomization loaded below that has one.
   */
  private schema: PatchSchema | undefined;
  private schemaSet = false;

  constructor(fs: BuildFs, options: BuildOptions, tracker?: OriginTracker) {
    this.fs = fs;
    this.tracker = tracker;
    this.restrict = (options.loadRestrictor ?? 'rootOnly') === 'rootOnly';
    this.maxFileBytes = options.maxFileBytes ?? 32 * 1024 * 1024;
    this.maxResources = options.maxResources ?? 100_000;
    this.helm = options.helm;
  }

  /** Kustomize's openapi.SetSchema: `top` resets the setting; below the top only the first setting counts. */
  useOpenApi(lk: LoadedKustomization, top: boolean): void {
    const field = lk.k.openapi;
    if (this.schemaSet && !top) return;
    if (field?.path !== undefined && field.version !== undefined) {
      throw new KustomizeError({
        file: lk.file,
        message: 'builtin version and custom schema provided, cannot use both',
      });
    }
    if (field?.path !== undefined) {
      const path = this.filePath(lk, field.path, 'openapi schema');
      this.schema = parseOpenApiSchema(this.readText(path, lk.file), this.show(path));
      this.schemaSet = true;
    } else if (field?.version !== undefined) {
      if (!BUILTIN_OPENAPI_VERSIONS.has(field.version)) {
        throw new KustomizeError({ file: lk.file, message: 'the specified OpenAPI version is not built in' });
      }
      this.schema = undefined;
      this.schemaSet = true;
    } else {
      this.schema = undefined;
      this.schemaSet = false;
    }
  }

  private show(path: string): string {
    return shownPath(this.fs, path);
  }

  /** Resolves a path named in a kustomization, enforcing the load restrictor for files. */
  private filePath(lk: LoadedKustomization, rel: string, what: string): string {
    const path = cleanPath(joinPath(lk.dir, rel));
    if (path === undefined) {
      throw new KustomizeError({ file: lk.file, message: `${what} '${rel}' is outside the build root` });
    }
    if (this.restrict && lk.dir !== '' && path !== lk.dir && !path.startsWith(`${lk.dir}/`)) {
      throw new KustomizeError({
        file: lk.file,
        message: `security; file '${this.show(path)}' is not in or below '${this.show(lk.dir)}' (the load restrictor allows only files inside the kustomization directory)`,
      });
    }
    if (this.restrict && lk.dir === '' && path.startsWith('..')) {
      throw new KustomizeError({
        file: lk.file,
        message: `security; file '${this.show(path)}' is not in or below the root`,
      });
    }
    if (this.restrict) this.checkRealPath(lk, path);
    return path;
  }

  /** Why nothing is at `path`: a symbolic link that leads out of the root says so, instead of "does not exist". */
  private missing(noun: string, path: string): string {
    const what = `${noun ? `${noun} ` : ''}'${this.show(path)}'`;
    if (this.fs.realPath && this.fs.realPath(path) === undefined)
      return `${what} is outside the root: a symbolic link leads out of it`;
    return `${what} does not exist`;
  }

  /** The load restrictor on real paths: a symbolic link must not lead out of the kustomization directory. */
  private checkRealPath(lk: LoadedKustomization, path: string): void {
    if (!this.fs.realPath) return;
    const real = this.fs.realPath(path);
    const realDir = this.fs.realPath(lk.dir);
    if (real === undefined || realDir === undefined) {
      throw new KustomizeError({
        file: lk.file,
        message: `security; file '${this.show(path)}' is outside the root: a symbolic link leads out of it`,
      });
    }
    if (realDir !== '' && real !== realDir && !real.startsWith(`${realDir}/`)) {
      throw new KustomizeError({
        file: lk.file,
        message: `security; file '${this.show(path)}' is not in or below '${this.show(lk.dir)}': it is a symbolic link to '${this.show(real)}' (the load restrictor allows only files inside the kustomization directory)`,
      });
    }
  }

  readText(path: string, from: string): string {
    const kind = this.fs.kind(path);
    if (kind !== 'file') {
      throw new KustomizeError({
        file: from,
        message: kind === 'dir' ? `'${this.show(path)}' is a directory, expected a file` : this.missing('file', path),
      });
    }
    const bytes = this.fs.readFile(path);
    if (bytes.byteLength > this.maxFileBytes) {
      throw new KustomizeError({
        file: this.show(path),
        message: `file is ${bytes.byteLength} bytes, more than the ${this.maxFileBytes}-byte limit`,
      });
    }
    return new TextDecoder().decode(bytes);
  }

  private reader(lk: LoadedKustomization): FileReader {
    return {
      file: lk.file,
      read: (rel) => {
        const path = this.filePath(lk, rel, 'file');
        this.readText(path, lk.file);
        return this.fs.readFile(path);
      },
    };
  }

  private append(list: Res[], add: Res[], lk: LoadedKustomization): void {
    const seen = new Set(list.map(identity));
    for (const r of add) {
      const id = identity(r);
      if (seen.has(id)) {
        throw new KustomizeError({
          file: lk.file,
          message: `may not add resource with an already registered id: ${describeRes(r)} (from ${r.source})`,
        });
      }
      seen.add(id);
      list.push(r);
    }
    if (list.length > this.maxResources) {
      throw new KustomizeError({ file: lk.file, message: `build produces more than ${this.maxResources} resources` });
    }
  }

  private loadResourceFile(path: string, from: string): Res[] {
    const out = this.resourcesFromText(this.readText(path, from), this.show(path));
    for (const res of out) {
      res.sourcePath = path;
      this.tracker?.fromFile(res, path);
    }
    return out;
  }

  /** The resources of a YAML stream (a file, or what Helm printed); `List` kinds are unpacked. */
  private resourcesFromText(text: string, file: string): Res[] {
    const docs = parseYamlStream(text, file, RESOURCE_LIMITS);
    const out: Res[] = [];
    const add = (doc: unknown): void => {
      if (doc === null) return;
      if (!isMapValue(doc)) throw new KustomizeError({ file, message: 'a resource must be a YAML mapping' });
      if (typeof doc.kind === 'string' && doc.kind.endsWith('List') && Array.isArray(doc.items)) {
        for (const item of doc.items) add(item);
        return;
      }
      const meta = doc.metadata;
      if (typeof doc.kind !== 'string' || !doc.kind) {
        throw new KustomizeError({ file, message: 'a resource is missing its kind' });
      }
      // A number name (`name: 404`) is its text for kustomize, and kubectl prints the number back.
      const nameScalar = isMapValue(meta) && typeof meta.name === 'number' ? meta.name : undefined;
      if (nameScalar !== undefined && isMapValue(meta)) meta.name = scalarText(meta, 'name', nameScalar);
      if (!isMapValue(meta) || typeof meta.name !== 'string' || meta.name === '') {
        if (!(isMapValue(meta) && typeof meta.generateName === 'string')) {
          throw new KustomizeError({ file, message: `a ${doc.kind} is missing metadata.name` });
        }
      }
      const scalar = typeof doc.apiVersion === 'number' || typeof doc.apiVersion === 'boolean';
      const scalarVersion = scalar ? (doc.apiVersion as number | boolean) : undefined;
      if (scalarVersion !== undefined) doc.apiVersion = scalarText(doc, 'apiVersion', scalarVersion);
      const missing = typeof doc.apiVersion !== 'string';
      if (missing) doc.apiVersion = '';
      const res = newRes(doc as unknown as KubeObject, file);
      res.apiVersionMissing = missing;
      if (scalarVersion !== undefined) res.apiVersionScalar = scalarVersion;
      if (nameScalar !== undefined) res.nameScalar = nameScalar;
      out.push(res);
    };
    for (const d of docs) add(d);
    return out;
  }

  private enter(dir: string, from: string): void {
    if (this.inProgress.includes(dir)) {
      throw new KustomizeError({
        file: from,
        message: `cycle detected: ${[...this.inProgress.slice(this.inProgress.indexOf(dir)), dir].map((d) => this.show(d)).join(' -> ')}`,
      });
    }
    this.inProgress.push(dir);
  }

  private leave(): void {
    this.inProgress.pop();
  }

  private subPath(lk: LoadedKustomization, entry: string, what: string): string {
    if (REMOTE.test(entry)) {
      throw new KustomizeError({
        file: lk.file,
        message: `${what} '${entry}' is a remote URL; remote resources are not supported, vendor them into the repository`,
      });
    }
    const path = cleanPath(joinPath(lk.dir, entry));
    if (path === undefined) {
      throw new KustomizeError({ file: lk.file, message: `${what} '${entry}' is outside the build root` });
    }
    return path;
  }

  /**
   * Builds one kustomization level on top of `base` (non-empty only for components). The transformer configuration
   * it returns holds kustomize's defaults plus every `configurations` file of this level and those below it.
   */
  accumulate(
    lk: LoadedKustomization,
    base: Res[] = [],
    baseConfig: TransformerConfig = DEFAULT_CONFIG,
  ): { list: Res[]; config: TransformerConfig } {
    const k = lk.k;
    let list = [...base];
    let config = baseConfig;
    const subConfigs: TransformerConfig[] = [];
    for (const entry of k.resources ?? []) {
      const path = this.subPath(lk, entry, 'resource');
      const kind = this.fs.kind(path);
      if (kind === undefined) {
        throw new KustomizeError({
          file: lk.file,
          message: `accumulating resources: ${this.missing('', path)}`,
        });
      }
      if (kind === 'file') {
        this.filePath(lk, entry, 'resource');
        this.append(list, this.loadResourceFile(path, lk.file), lk);
        continue;
      }
      const sub = this.accumulateDir(lk, path);
      this.append(list, sub.list, lk);
      if (sub.config !== DEFAULT_CONFIG) subConfigs.push(sub.config);
    }
    // This level's configuration files come first, kustomize's defaults are merged into them, then what the
    // resources below brought.
    if (k.configurations?.length) {
      let own: Partial<TransformerConfig> = {};
      let last = lk.file;
      for (const entry of k.configurations) {
        const path = this.filePath(lk, entry, 'configuration');
        last = this.show(path);
        own = mergePartial(own, parseConfigFile(this.readText(path, lk.file), last), last);
      }
      config = config === DEFAULT_CONFIG ? withDefaults(own, last) : mergeConfig(config, withDefaults(own, last), last);
    }
    for (const sub of subConfigs) config = config === DEFAULT_CONFIG ? sub : mergeConfig(config, sub, lk.file);
    for (const entry of k.crds ?? []) {
      const path = this.filePath(lk, entry, 'crd');
      config = mergeConfig(config, configFromCrds(this.readText(path, lk.file), this.show(path)), this.show(path));
    }
    // Kustomize runs this level's generators before its components, so components see (and may merge into) them.
    this.runGenerators(lk, list);
    for (const entry of k.components ?? []) {
      const path = this.subPath(lk, entry, 'component');
      if (this.fs.kind(path) !== 'dir') {
        throw new KustomizeError({ file: lk.file, message: `component '${this.show(path)}' is not a directory` });
      }
      this.enter(path, lk.file);
      const sub = loadKustomization(this.fs, path);
      this.useOpenApi(sub, false);
      if (!sub.isComponent) {
        throw new KustomizeError({
          file: sub.file,
          message: `expected kind 'Component' for path '${this.show(path)}' but got 'Kustomization'`,
        });
      }
      ({ list, config } = this.accumulate(sub, list, config));
      this.leave();
    }
    list = this.runTransformers(lk, list, config);
    if (k.vars) {
      bindVars(list, k.vars, this.varNames, lk.file);
      this.vars.push(...k.vars);
    }
    return { list, config };
  }

  /** A directory listed in resources (or transformers/generators): its kustomization, built. */
  private accumulateDir(lk: LoadedKustomization, path: string): { list: Res[]; config: TransformerConfig } {
    this.enter(path, lk.file);
    const sub = loadKustomization(this.fs, path);
    this.useOpenApi(sub, false);
    if (sub.isComponent) {
      throw new KustomizeError({
        file: sub.file,
        message: `a Component may not be listed in resources (listed in ${lk.file})`,
      });
    }
    const out = this.accumulate(sub);
    this.leave();
    return out;
  }

  /**
   * The plugin configs a `transformers:` or `generators:` list names: inline YAML, files, or directories whose
   * kustomization builds the configs (kustomize tells an inline config from a path by whether it parses as objects).
   */
  private pluginConfigs(lk: LoadedKustomization, entries: string[]): PluginConfig[] {
    const out: PluginConfig[] = [];
    for (const entry of entries) {
      const inline = inlineObjects(entry, lk.file);
      if (inline) {
        out.push(...inline.map((obj) => ({ obj, file: lk.file, path: kustomizationPath(lk) })));
        continue;
      }
      const path = this.subPath(lk, entry, 'plugin configuration');
      const kind = this.fs.kind(path);
      if (kind === undefined) {
        throw new KustomizeError({ file: lk.file, message: `plugin configuration ${this.missing('', path)}` });
      }
      const resources =
        kind === 'file'
          ? (this.filePath(lk, entry, 'plugin configuration'), this.loadResourceFile(path, lk.file))
          : this.accumulateDir(lk, path).list;
      out.push(...resources.map((r) => ({ obj: r.obj, file: r.source, path: r.sourcePath ?? path })));
    }
    return out;
  }

  private pluginHost(lk: LoadedKustomization): PluginHost {
    return {
      file: lk.file,
      applyPatch: (list, entry) => this.applyPatch(lk, list, entry),
      applyStrategicMerge: (list, entries) => this.applyStrategicMerge(lk, list, entries),
      applyReplacements: (list, entries) => applyReplacements(list, this.loadReplacements(lk, entries), lk.file),
      generate: (kind, args: GeneratorArgs) => generate(kind, args, undefined, this.reader(lk)),
      addHashSuffixes,
      transformed: (list, by) => this.tracker?.transformedBy(list, by),
    };
  }

  private runGenerators(lk: LoadedKustomization, list: Res[]): void {
    const k = lk.k;
    const gens = [
      ...(k.configMapGenerator ?? []).map((g) => ['ConfigMap', g] as const),
      ...(k.secretGenerator ?? []).map((g) => ['Secret', g] as const),
    ];
    const made = gens.map(([kind, args]) => {
      const res = generate(kind, args, k.generatorOptions, this.reader(lk));
      this.tracker?.generatedBy(res, { path: kustomizationPath(lk), kind: `${kind}Generator` });
      return res;
    });
    for (const res of this.inflateCharts(lk)) {
      this.tracker?.generatedBy(res, { path: kustomizationPath(lk), kind: 'HelmChartInflationGenerator' });
      made.push(res);
    }
    if (k.generators?.length) {
      const host = this.pluginHost(lk);
      for (const c of this.pluginConfigs(lk, k.generators)) {
        const { res, by } = runGenerator(c, host);
        this.tracker?.generatedBy(res, by);
        made.push(res);
      }
    }
    for (const res of made) {
      const kind = res.obj.kind;
      const ns = namespaceOf(res);
      // Kustomize looks the generated id up among every id a resource has had (a base's ConfigMap `cm` that is
      // now `b-cm` still answers to `cm`).
      const existing = list.find(
        (r) =>
          r.obj.kind === kind &&
          (nameOf(r) === nameOf(res) || r.history.some((h) => h.name === nameOf(res))) &&
          (ns === '' || namespaceOf(r) === ns || r.history.some((h) => h.namespace === ns)),
      );
      if (res.behavior === 'create') {
        if (existing) {
          throw new KustomizeError({
            file: lk.file,
            message: `${kind} generator '${nameOf(res)}': ${describeRes(existing)} already answers to that name; behavior must be merge or replace`,
          });
        }
        this.append(list, [res], lk);
        continue;
      }
      if (!existing) {
        throw new KustomizeError({
          file: lk.file,
          message: `${kind} generator '${nameOf(res)}' has behavior ${res.behavior ?? ''}, but no ${kind} of that name exists to ${res.behavior ?? ''}`,
        });
      }
      mergeGenerated(existing, res);
    }
  }

  /** The resources of each `helmCharts` entry, as `helm template` prints them (kustomize's HelmChartInflationGenerator). */
  private inflateCharts(lk: LoadedKustomization): Res[] {
    const charts = lk.k.helmCharts ?? [];
    if (charts.length === 0) return [];
    if (!this.helm) throw helmNotEnabled(lk.file);
    const out: Res[] = [];
    for (const chart of charts) {
      const req = chartRequest(chart, lk.k.helmGlobals ?? {}, {
        file: lk.file,
        dir: lk.dir,
        fs: this.fs,
        show: (path) => this.show(path),
        readValues: (rel) => {
          const path = this.filePath(lk, rel, 'values file');
          const shown = this.show(path);
          const values = parseYamlDocument(this.readText(path, lk.file), shown, { yaml11Bools: true }) ?? {};
          if (!isMapValue(values))
            throw new KustomizeError({ file: shown, message: 'helm values must be a YAML mapping' });
          return values;
        },
      });
      const output = this.helm.template(req);
      if (output === undefined) throw new HelmRenderPending(req);
      const res = this.resourcesFromText(output, `${lk.file} (helm chart ${chart.name})`);
      for (const r of res) r.behavior = 'create';
      out.push(...res);
    }
    return out;
  }

  private patchText(lk: LoadedKustomization, p: PatchEntry | string): { text: string; file: string } {
    if (typeof p === 'string') {
      const trimmed = p.trim();
      if (trimmed.includes('\n') || trimmed.startsWith('{') || trimmed.startsWith('apiVersion'))
        return { text: p, file: lk.file };
      const path = this.filePath(lk, trimmed, 'patch');
      return { text: this.readText(path, lk.file), file: this.show(path) };
    }
    if (p.path !== undefined && p.patch !== undefined) {
      throw new KustomizeError({ file: lk.file, message: 'a patch may have either path or patch, not both' });
    }
    if (p.path !== undefined) {
      const path = this.filePath(lk, p.path, 'patch');
      return { text: this.readText(path, lk.file), file: this.show(path) };
    }
    if (typeof p.patch !== 'string')
      throw new KustomizeError({ file: lk.file, message: 'a patch needs path or patch' });
    return { text: p.patch, file: lk.file };
  }

  private applyPatch(lk: LoadedKustomization, list: Res[], p: PatchEntry): Res[] {
    const { text, file } = this.patchText(lk, p);
    const parsed = parsePatch(text, file);
    if (p.target) return applyTargetedPatch(list, parsed, p.target, file, { ...p.options, schema: this.schema });
    if (parsed.type === 'json6902') {
      throw new KustomizeError({ file, message: 'a JSON 6902 patch needs a target' });
    }
    return applyPatchesById(list, parsed.docs, file, this.schema);
  }

  private applyStrategicMerge(lk: LoadedKustomization, input: Res[], entries: string[]): Res[] {
    let list = input;
    for (const p of entries) {
      const { text, file } = this.patchText(lk, p);
      const parsed = parsePatch(text, file);
      if (parsed.type !== 'smp')
        throw new KustomizeError({ file, message: 'patchesStrategicMerge entries must be strategic merge patches' });
      list = applyPatchesById(list, parsed.docs, file, this.schema);
    }
    return list;
  }

  /** The kustomization's transformers in kustomize's order, then its `transformers:` plugin configs. */
  private runTransformers(lk: LoadedKustomization, input: Res[], config: TransformerConfig): Res[] {
    const k: Kustomization = lk.k;
    const ran = (kind: string): void => this.tracker?.transformedBy(list, { path: kustomizationPath(lk), kind });
    let list = input;
    if (k.patchesStrategicMerge?.length) {
      list = this.applyStrategicMerge(lk, list, k.patchesStrategicMerge);
      ran('PatchStrategicMergeTransformer');
    }
    for (const p of k.patches ?? []) {
      list = this.applyPatch(lk, list, p);
      ran('PatchTransformer');
    }
    if (k.namespace) {
      setNamespace(list, k.namespace, { specs: config.namespace });
      ran('NamespaceTransformer');
    }
    // Kustomize runs a prefix transformer and then a suffix transformer, each with its own field specs.
    if (k.namePrefix) {
      addPrefixSuffix(list, k.namePrefix, '', config.namePrefix);
      ran('PrefixTransformer');
    }
    if (k.nameSuffix) {
      addPrefixSuffix(list, '', k.nameSuffix, config.nameSuffix);
      ran('SuffixTransformer');
    }
    for (const l of k.labels ?? []) {
      addLabels(list, l, config);
      ran('LabelTransformer');
    }
    // Kustomize configures a commonLabels transformer (even an empty one) whenever either field is set.
    if (k.commonLabels) setPairs(list, k.commonLabels, config.commonLabels);
    if (k.commonLabels || k.labels?.length) ran('LabelTransformer');
    if (k.commonAnnotations) {
      setPairs(list, k.commonAnnotations, config.commonAnnotations);
      ran('AnnotationsTransformer');
    }
    for (const p of k.patchesJson6902 ?? []) {
      if (!p.target) throw new KustomizeError({ file: lk.file, message: 'patchesJson6902 entries need a target' });
      list = this.applyPatch(lk, list, p);
      ran('PatchJson6902Transformer');
    }
    for (const r of k.replicas ?? []) {
      setReplicas(list, [r], lk.file, config.replicas);
      ran('ReplicaCountTransformer');
    }
    for (const img of k.images ?? []) {
      setImages(list, [img], config.images);
      ran('ImageTagTransformer');
    }
    if (k.replacements) {
      applyReplacements(list, this.loadReplacements(lk, k.replacements), lk.file);
      ran('ReplacementTransformer');
    }
    if (k.transformers?.length) {
      const host = this.pluginHost(lk);
      for (const c of this.pluginConfigs(lk, k.transformers)) list = runTransformer(list, c, host);
    }
    return list;
  }

  private loadReplacements(lk: LoadedKustomization, entries: ReplacementEntry[]): Record<string, unknown>[] {
    return entries.flatMap((e) => {
      if (e.path === undefined) return [{ ...e }];
      const path = this.filePath(lk, e.path, 'replacement');
      return parseYamlStream(this.readText(path, lk.file), this.show(path)).flatMap((d) =>
        Array.isArray(d) ? (d as Record<string, unknown>[]) : isMapValue(d) ? [d] : [],
      );
    });
  }
}

const DEFAULT_CONFIG = defaultConfig();

/** The kustomization file's build-filesystem path (a generated one, as Flux's, is named as if it were on disk). */
function kustomizationPath(lk: LoadedKustomization): string {
  return lk.path ?? joinPath(lk.dir, 'kustomization.yaml');
}

/** A transformers/generators entry that is YAML objects itself, not a path: its objects, or undefined. */
function inlineObjects(entry: string, file: string): Record<string, unknown>[] | undefined {
  if (!entry.includes('\n') && !entry.trimStart().startsWith('{')) return undefined;
  let docs: unknown[];
  try {
    docs = parseYamlStream(entry, file);
  } catch {
    return undefined;
  }
  const objs = docs.filter((d) => d !== null);
  return objs.length > 0 && objs.every(isMapValue) ? objs : undefined;
}

/**
 * Adds content-hash suffixes to generated ConfigMaps and Secrets, as kustomize does once at the top. A
 * HashTransformer config does it where it runs too, and kustomize then hashes the name again at the top
 * (`cm-<hash>-<hash>`), so nothing is marked done here.
 */
function addHashSuffixes(list: Res[]): void {
  for (const r of list) {
    if (!r.needsHash) continue;
    const hash = contentHash(r.obj);
    rememberName(r);
    r.obj.metadata.name = `${nameOf(r)}-${hash}`;
  }
}

/** Builds the resources of an already-loaded kustomization (fluxBuild passes a generated one). */
/** Kustomize's sortOptions validation: a known order, and legacy options only with the legacy order. */
function checkSortOptions(lk: LoadedKustomization): void {
  // Read as plain YAML: the file may hold any value, whatever the Kustomization type says.
  const sort: unknown = lk.k.sortOptions;
  if (!isMapValue(sort)) return;
  if (sort.order !== undefined && sort.order !== 'legacy' && sort.order !== 'fifo') {
    throw new KustomizeError({
      file: lk.file,
      message: `the field 'sortOptions.order' must be one of [legacy, fifo], not ${JSON.stringify(sort.order)}`,
    });
  }
  if (sort.order === 'fifo' && sort.legacySortOptions !== undefined) {
    throw new KustomizeError({
      file: lk.file,
      message: "the field 'sortOptions.legacySortOptions' is set but the selected sort order is 'fifo', not 'legacy'",
    });
  }
}

export function buildLoaded(fs: BuildFs, lk: LoadedKustomization, options: BuildOptions = {}): KubeObject[] {
  checkSortOptions(lk);
  const meta = parseBuildMetadata(lk.k.buildMetadata, lk.file);
  const b = new Builder(fs, options, meta.origin || meta.transformations ? new OriginTracker(lk.dir) : undefined);
  b.useOpenApi(lk, true);
  const acc = b.accumulate(lk);
  const { config } = acc;
  let { list } = acc;
  addHashSuffixes(list);
  fixNameReferences(list, config.nameReference);
  // Vars resolve last, so a var of a name sees its final, prefixed and hashed form.
  resolveVars(list, varValues(list, b.vars, lk.file), config.varReference, lk.file);
  // Local configuration is dropped only now: it could be patched, referred to and replaced from until here.
  list = list.filter((r) => !isLocalConfig(r));
  applyBuildMetadata(list, meta);
  const sort = lk.k.sortOptions;
  const sorted =
    sort?.order === 'fifo'
      ? list
      : legacySort(list, sort?.legacySortOptions?.orderFirst, sort?.legacySortOptions?.orderLast);
  return sorted.map((r) => {
    r.obj = afterJsonRoundTrip(r);
    return withoutAddedApiVersion(r);
  });
}

/** Kustomize's local-config annotation: any value but "false" keeps the resource out of the output. */
function isLocalConfig(r: Res): boolean {
  const v = r.obj.metadata.annotations?.['config.kubernetes.io/local-config'];
  return v !== undefined && v !== 'false';
}

/**
 * kustomize clears its build annotations from every resource at the end and writes the rest back as strings: an
 * empty (or null) `metadata.annotations` disappears, and a number, boolean or null value becomes its source text
 * (`1.50` → "1.50", `~` → "~"). Labels are left as they are.
 */
function finalAnnotations(obj: KubeObject): void {
  const meta = obj.metadata as Record<string, unknown> | undefined;
  if (!meta || !('annotations' in meta)) return;
  const a = meta.annotations;
  if (a === null || (isMapValue(a) && Object.keys(a).length === 0)) {
    delete meta.annotations;
    return;
  }
  if (!isMapValue(a)) return;
  for (const [k, v] of Object.entries(a)) {
    if (v === null || typeof v === 'number' || typeof v === 'boolean') a[k] = scalarText(a, k, v);
  }
}

/**
 * The engine gives every object an apiVersion while it works; one the input did not have is not output, and a number
 * or boolean one (`apiVersion: 1`) is output as the scalar it was.
 */
function withoutAddedApiVersion(r: Res): KubeObject {
  finalAnnotations(r.obj);
  if (r.nameScalar !== undefined && r.obj.metadata.name === String(r.nameScalar)) {
    r.obj.metadata.name = r.nameScalar as unknown as string;
  }
  const scalar = r.apiVersionScalar;
  if (scalar !== undefined && r.obj.apiVersion === String(scalar))
    return { ...r.obj, apiVersion: scalar as unknown as string };
  if (!r.apiVersionMissing || r.obj.apiVersion !== '') return r.obj;
  const { apiVersion: _dropped, ...rest } = r.obj;
  return rest as KubeObject;
}

/** `kustomize build DIR`: the objects in output order. Throws KustomizeError on bad input. */
export function build(fs: BuildFs, dir: string, options: BuildOptions = {}): BuildResult {
  const root = cleanPath(dir);
  if (root === undefined) throw new KustomizeError({ message: `'${dir}' is outside the build root` });
  if (fs.kind(root) !== 'dir') throw new KustomizeError({ file: shownPath(fs, root), message: 'not a directory' });
  const limited = budgeted(fs, options.maxTotalBytes);
  return { objects: buildLoaded(limited, loadKustomization(limited, root), options) };
}

export type { Selector };
