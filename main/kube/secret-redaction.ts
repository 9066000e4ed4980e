import type { KubeObject } from '../util/kube-object.ts';

/**
 * The one redaction of Secret values for everything that leaves main for a person (the panel's YAML, diffs,
 * previews, the inbox's drift records): `data`, `stringData`, and kubectl's last-applied annotation, which holds the
 * whole Secret as JSON, values included.
 */

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
export const REDACTED = '***';
/** What a redacted value that differs from the other side of a comparison shows. */
export const REDACTED_CHANGED = '*** (changed)';

type Values = Record<string, unknown>;

const isValues = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

export function isSecret(o: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
  return o.kind === 'Secret' && o.apiVersion === 'v1';
}

/**
 * Replaces the values of a Secret in `copy` (which the caller owns) by {@link REDACTED}. With `before` (the other
 * side of a comparison), values that differ from it become {@link REDACTED_CHANGED}, so a change still shows without
 * either value. Anything but a v1 Secret is left as it is.
 */
export function redactSecret(copy: KubeObject, before?: KubeObject): KubeObject {
  if (!isSecret(copy)) return copy;
  const record = copy as KubeObject & Values;
  for (const field of ['data', 'stringData']) {
    const values = record[field];
    if (!isValues(values)) continue;
    const old = before?.[field];
    for (const key of Object.keys(values))
      values[key] = isValues(old) && key in old && old[key] !== values[key] ? REDACTED_CHANGED : REDACTED;
  }
  const annotations = copy.metadata.annotations;
  if (annotations && LAST_APPLIED in annotations) {
    const old = before?.metadata.annotations?.[LAST_APPLIED];
    annotations[LAST_APPLIED] = old !== undefined && old !== annotations[LAST_APPLIED] ? REDACTED_CHANGED : REDACTED;
  }
  return copy;
}
