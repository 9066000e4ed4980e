/**
 * Kubernetes label selectors (`matchLabels` + `matchExpressions`) as a pure function, so the image automation
 * controller (which ImagePolicies an automation uses) and the renderer's graph (which policies it links to the
 * automation) agree. Semantics of apimachinery's `LabelSelectorAsSelector`: every part must match; an absent or empty
 * selector matches everything.
 */

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** A selector Kubernetes would refuse (an unknown operator, `In` without values, `Exists` with values). */
export class LabelSelectorError extends Error {}

function matchesExpression(
  labels: Record<string, string>,
  e: { key: string; operator: string; values?: string[] },
): boolean {
  const v = labels[e.key];
  const values = e.values ?? [];
  switch (e.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0)
        throw new LabelSelectorError(
          `invalid label selector: values must be non-empty for operator '${e.operator}' (key '${e.key}')`,
        );
      return e.operator === 'In' ? v !== undefined && values.includes(v) : v === undefined || !values.includes(v);
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0)
        throw new LabelSelectorError(
          `invalid label selector: values must be empty for operator '${e.operator}' (key '${e.key}')`,
        );
      return e.operator === 'Exists' ? v !== undefined : v === undefined;
    default:
      throw new LabelSelectorError(
        `invalid label selector: '${e.operator}' is not a valid label selector operator (key '${e.key}'); use In, NotIn, Exists or DoesNotExist`,
      );
  }
}

/** Whether `selector` selects an object with `labels`. Throws LabelSelectorError for a selector Kubernetes refuses. */
export function selectsLabels(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  // Every expression is checked, so an invalid one is reported whatever the labels are.
  const byExpression = (selector.matchExpressions ?? []).map((e) => matchesExpression(labels, e));
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return byLabel && byExpression.every(Boolean);
}
