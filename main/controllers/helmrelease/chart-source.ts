import { parse } from 'yaml';

import { helmChartName, type HelmChartTemplate, type HelmRelease } from '../../flux/helm.ts';
import type { HelmChart } from '../../flux/source.ts';

/**
 * Where a HelmRelease's chart comes from, as helm-controller resolves it: `chartRef` names an OCIRepository or a
 * HelmChart; `spec.chart` is a template for a HelmChart the controller owns, named `<hr namespace>-<hr name>` in the
 * source's namespace. Pure: the controller reads and writes the objects.
 */

export interface ChartSourceRef {
  kind: 'OCIRepository' | 'HelmChart';
  namespace: string;
  name: string;
}

export function chartSourceRef(hr: HelmRelease): ChartSourceRef | undefined {
  const ns = hr.metadata.namespace ?? '';
  const ref = hr.spec.chartRef;
  if (ref && (ref.kind === 'OCIRepository' || ref.kind === 'HelmChart')) {
    return { kind: ref.kind, namespace: ref.namespace ?? ns, name: ref.name };
  }
  const template = hr.spec.chart;
  if (template)
    return { kind: 'HelmChart', namespace: template.spec.sourceRef.namespace ?? ns, name: helmChartName(hr) };
  return undefined;
}

/** The HelmChart helm-controller makes from `spec.chart` (`buildHelmChartFromTemplate`). */
export function helmChartFromTemplate(hr: HelmRelease, template: HelmChartTemplate): HelmChart {
  const t = template.spec;
  return {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'HelmChart',
    metadata: {
      name: helmChartName(hr),
      namespace: t.sourceRef.namespace ?? hr.metadata.namespace ?? '',
      ...templateMetadata(template),
    },
    spec: {
      chart: t.chart,
      version: t.version ?? '*',
      sourceRef: sourceRefOf(t.sourceRef),
      interval: t.interval ?? hr.spec.interval,
      reconcileStrategy: t.reconcileStrategy ?? 'ChartVersion',
      ...(t.valuesFiles ? { valuesFiles: t.valuesFiles } : {}),
      ...(t.ignoreMissingValuesFiles ? { ignoreMissingValuesFiles: true } : {}),
      ...(t.verify ? { verify: t.verify } : {}),
    },
  };
}

function templateMetadata(template: HelmChartTemplate): Pick<HelmChart['metadata'], 'labels' | 'annotations'> {
  const m = template.metadata;
  return { ...(m?.labels ? { labels: m.labels } : {}), ...(m?.annotations ? { annotations: m.annotations } : {}) };
}

/** The HelmChart's sourceRef: the namespace is implied (the HelmChart lives beside its source). */
function sourceRefOf(ref: HelmChartTemplate['spec']['sourceRef']): HelmChart['spec']['sourceRef'] {
  return { kind: ref.kind, name: ref.name, ...(ref.apiVersion ? { apiVersion: ref.apiVersion } : {}) };
}

export interface ChartMetadata {
  /** The chart's directory inside the archive ('' when Chart.yaml is at the root). */
  dir: string;
  name: string;
  version: string;
  appVersion?: string;
}

/**
 * Finds Chart.yaml in an unpacked chart archive: at the root or in the one top-level directory (a packaged chart
 * is `<name>/Chart.yaml`), and reads name, version and appVersion.
 */
export function chartMetadata(paths: Iterable<string>, read: (path: string) => Uint8Array): ChartMetadata {
  const candidates = [...paths].filter((p) => /^([^/]+\/)?Chart\.yaml$/.test(p)).sort((a, b) => a.length - b.length);
  const file = candidates[0];
  if (!file) throw new Error('no Chart.yaml at the root of the chart artifact or in its top directory');
  const doc = parse(Buffer.from(read(file)).toString('utf8')) as Record<string, unknown> | null;
  const name = typeof doc?.name === 'string' ? doc.name : '';
  const version = scalarText(doc?.version);
  if (!name || !version) throw new Error(`${file}: the chart has no name or no version`);
  return {
    dir: file.includes('/') ? file.slice(0, file.indexOf('/')) : '',
    name,
    version,
    ...(scalarText(doc?.appVersion) ? { appVersion: scalarText(doc?.appVersion) } : {}),
  };
}

/** A YAML scalar as text (versions may parse as numbers: `version: 1.0` is the string "1"). */
function scalarText(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}
