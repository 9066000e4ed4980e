/**
 * kustomize's HelmChartInflationGenerator (`helmCharts:` + `helmGlobals:`): each chart becomes the resources
 * `helm template` prints for it. The engine stays synchronous and never runs Helm itself: it works out what to
 * render (the chart directory, the values kustomize would write, the flags) and asks a `HelmRenderer`, a synchronous
 * cache the caller fills. `buildWithHelm` is that caller's loop: build, and when a chart has not been rendered yet,
 * render it (asynchronously, with Helm's own code) and build again.
 *
 * As in kustomize, nothing is inflated unless asked for (`kubectl kustomize --enable-helm`); Flux's
 * kustomize-controller never asks (its plugin config disables Helm), so a Flux build refuses helmCharts.
 */
import { KustomizeError } from './errors.ts';
import { type BuildFs, cleanPath, joinPath } from './fs.ts';
import { isMapValue } from './resource.ts';

export interface HelmChart {
  name: string;
  version?: string;
  repo?: string;
  releaseName?: string;
  namespace?: string;
  nameTemplate?: string;
  valuesFile?: string;
  valuesInline?: Record<string, unknown>;
  valuesMerge?: string;
  additionalValuesFiles?: string[];
  includeCRDs?: boolean;
  skipHooks?: boolean;
  skipTests?: boolean;
  apiVersions?: string[];
  kubeVersion?: string;
}

export interface HelmGlobals {
  chartHome?: string;
  configHome?: string;
}

/** One `helm template` run, with paths in the build filesystem. */
export interface HelmTemplateRequest {
  /** The chart directory. */
  chart: string;
  releaseName: string;
  namespace?: string;
  /** The values kustomize passes with --values (already merged with the additional values files, as Helm would). */
  values: Record<string, unknown>;
  includeCRDs: boolean;
  skipTests: boolean;
  skipHooks: boolean;
  apiVersions: string[];
  kubeVersion?: string;
}

/**
 * Answers a render request from what has been rendered so far: `helm template`'s output, or undefined when this
 * request has not been rendered yet (the build then stops with HelmRenderPending).
 */
export interface HelmRenderer {
  template(req: HelmTemplateRequest): string | undefined;
}

/** Thrown by a build that needs a chart rendered first; buildWithHelm renders it and builds again. */
export class HelmRenderPending extends Error {
  readonly request: HelmTemplateRequest;

  constructor(request: HelmTemplateRequest) {
    super(`helm chart ${request.chart} is not rendered yet`);
    this.name = 'HelmRenderPending';
    this.request = request;
  }
}

/** A stable key for a request (the cache key of buildWithHelm). */
export function requestKey(req: HelmTemplateRequest): string {
  return JSON.stringify(req);
}

/**
 * Runs a synchronous build that may need Helm: each chart it asks for is rendered by `render` (asynchronously) and
 * the build runs again, until it needs nothing more. `render` returns `helm template`'s output.
 */
export async function buildWithHelm<T>(
  run: (helm: HelmRenderer) => T,
  render: (req: HelmTemplateRequest) => Promise<string>,
): Promise<T> {
  const done = new Map<string, string>();
  const renderer: HelmRenderer = { template: (req) => done.get(requestKey(req)) };
  for (;;) {
    try {
      return run(renderer);
    } catch (err) {
      if (!(err instanceof HelmRenderPending)) throw err;
      const key = requestKey(err.request);
      if (done.has(key)) throw err;
      done.set(key, await render(err.request));
    }
  }
}

const MERGE_OPTIONS = ['merge', 'override', 'replace'];

/**
 * mergo.Merge of the inline values into the chart's values file, as kustomize does: maps merge key by key;
 * `override` lets the inline value win, `merge` only fills what is missing or null (values sit in interfaces, so
 * mergo's "empty" is only a nil interface: `false`, `0` and `""` stay).
 */
function mergoMerge(dst: Record<string, unknown>, src: Record<string, unknown>, override: boolean): void {
  for (const [key, s] of Object.entries(src)) {
    const d = dst[key];
    if (isMapValue(s) && isMapValue(d)) {
      mergoMerge(d, s, override);
      continue;
    }
    if (override || d === undefined || d === null) dst[key] = s;
  }
}

/** Helm's values merge (pkg/cli/values): maps merge key by key, anything else in `b` replaces `a`. */
function helmMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [key, v] of Object.entries(b)) {
    const cur = out[key];
    out[key] = isMapValue(v) && isMapValue(cur) ? helmMerge(cur, v) : v;
  }
  return out;
}

/** What the generator needs from the build: reading files under the load restrictor, and parsing values YAML. */
export interface HelmHost {
  file: string;
  dir: string;
  fs: BuildFs;
  /** A file named relative to the kustomization directory, read under the load restrictor. */
  readValues(rel: string): Record<string, unknown>;
  /** Shows a build-filesystem path as messages do. */
  show(path: string): string;
}

/** The render request of one chart (kustomize's validateArgs, values handling and templateCommand). */
export function chartRequest(chart: HelmChart, globals: HelmGlobals, host: HelmHost): HelmTemplateRequest {
  const { file } = host;
  if (!chart.name) throw new KustomizeError({ file, message: 'helmCharts: chart name cannot be empty' });
  const valuesMerge = chart.valuesMerge || 'override';
  if (!MERGE_OPTIONS.includes(valuesMerge)) {
    throw new KustomizeError({ file, message: `helmCharts: valuesMerge must be one of [${MERGE_OPTIONS.join(' ')}]` });
  }
  const home = globals.chartHome || 'charts';
  if (home.startsWith('/')) {
    throw new KustomizeError({
      file,
      message: `helmGlobals.chartHome '${home}' is absolute; name the chart home relative to the kustomization`,
    });
  }
  // With a repo and a version, kustomize keeps each pulled version in its own directory.
  const versioned = chart.repo && chart.version ? `${chart.name}-${chart.version}` : undefined;
  const homeDir = joinPath(joinPath(host.dir, home), versioned ?? '');
  const chartDir = cleanPath(joinPath(homeDir, chart.name));
  if (chartDir === undefined || host.fs.kind(chartDir) !== 'dir') {
    const where = chartDir === undefined ? joinPath(home, chart.name) : host.show(chartDir);
    throw new KustomizeError({
      file,
      message: chart.repo
        ? `helm chart '${chart.name}' is not in '${where}': Fluxdeck does not download charts for helmCharts; pull it there first (helm pull --untar --untardir ${host.show(homeDir)} --repo ${chart.repo} ${chart.name}${chart.version ? ` --version ${chart.version}` : ''})`
        : `helmCharts: no repo specified for pull, no chart found at '${where}'`,
    });
  }
  if (chart.nameTemplate !== undefined && chart.nameTemplate !== '') {
    if (chart.releaseName) {
      throw new KustomizeError({ file, message: 'helmCharts: cannot set --name-template and also specify a name' });
    }
    if (chart.nameTemplate.includes('{{')) {
      throw new KustomizeError({
        file,
        message: `helmCharts: nameTemplate '${chart.nameTemplate}' uses template actions, which Fluxdeck does not render; set releaseName instead`,
      });
    }
  }
  const valuesFile = chart.valuesFile || joinPath(joinPath(joinPath(home, versioned ?? ''), chart.name), 'values.yaml');
  let values: Record<string, unknown>;
  const inline = chart.valuesInline;
  if (inline && Object.keys(inline).length > 0) {
    if (valuesMerge === 'replace') values = structuredClone(inline);
    else {
      values = host.readValues(valuesFile);
      mergoMerge(values, structuredClone(inline), valuesMerge === 'override');
    }
  } else values = host.readValues(valuesFile);
  for (const extra of chart.additionalValuesFiles ?? []) values = helmMerge(values, host.readValues(extra));
  const releaseName = chart.releaseName || chart.nameTemplate || 'release-name';
  return {
    chart: chartDir,
    releaseName,
    ...(chart.namespace ? { namespace: chart.namespace } : {}),
    values,
    includeCRDs: chart.includeCRDs ?? false,
    skipTests: chart.skipTests ?? false,
    skipHooks: chart.skipHooks ?? false,
    apiVersions: chart.apiVersions ?? [],
    ...(chart.kubeVersion ? { kubeVersion: chart.kubeVersion } : {}),
  };
}

/**
 * kustomize's refusal when Helm is not enabled, with what to do: the CLI inflates with --enable-helm; Flux's
 * kustomize-controller never does.
 */
export function helmNotEnabled(file: string): KustomizeError {
  return new KustomizeError({
    file,
    message:
      'helmCharts: must specify --enable-helm. Only `fluxdeck kustomize build --enable-helm` inflates charts; ' +
      "Flux's kustomize-controller never does (it builds with Helm disabled), so deploy charts with a HelmRelease",
  });
}
