import { describe, expect, it } from 'vitest';

import { LabelSelectorError, selectsLabels } from '../../../main/contract/label-selector.ts';

const labels = { app: 'web', tier: 'frontend' };

describe('label selectors (as apimachinery evaluates them)', () => {
  it('selects everything when absent or empty', () => {
    expect(selectsLabels(undefined, {})).toBe(true);
    expect(selectsLabels({}, labels)).toBe(true);
    expect(selectsLabels({ matchLabels: {}, matchExpressions: [] }, {})).toBe(true);
  });

  it('needs every matchLabels entry', () => {
    expect(selectsLabels({ matchLabels: { app: 'web' } }, labels)).toBe(true);
    expect(selectsLabels({ matchLabels: { app: 'web', tier: 'backend' } }, labels)).toBe(false);
    expect(selectsLabels({ matchLabels: { env: 'prod' } }, labels)).toBe(false);
  });

  it('evaluates In, NotIn, Exists and DoesNotExist, all of them together with matchLabels', () => {
    const sel = (operator: string, values?: string[]): boolean =>
      selectsLabels({ matchExpressions: [{ key: 'tier', operator, ...(values && { values }) }] }, labels);
    expect(sel('In', ['frontend', 'edge'])).toBe(true);
    expect(sel('In', ['backend'])).toBe(false);
    expect(sel('NotIn', ['backend'])).toBe(true);
    expect(sel('NotIn', ['frontend'])).toBe(false);
    expect(sel('Exists')).toBe(true);
    expect(sel('DoesNotExist')).toBe(false);
    // NotIn and DoesNotExist select objects without the label at all.
    expect(selectsLabels({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, labels)).toBe(
      true,
    );
    expect(selectsLabels({ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, labels)).toBe(true);
    expect(
      selectsLabels({ matchLabels: { app: 'api' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, labels),
    ).toBe(false);
  });

  it('refuses what Kubernetes refuses, whatever the labels, saying which key and what to use', () => {
    const refused = (e: { key: string; operator: string; values?: string[] }): Error => {
      try {
        selectsLabels({ matchLabels: { nope: 'x' }, matchExpressions: [e] }, labels);
      } catch (err) {
        return err as Error;
      }
      throw new Error('not refused');
    };
    expect(refused({ key: 'tier', operator: 'Equals', values: ['x'] })).toBeInstanceOf(LabelSelectorError);
    expect(refused({ key: 'tier', operator: 'Equals', values: ['x'] }).message).toBe(
      "invalid label selector: 'Equals' is not a valid label selector operator (key 'tier'); use In, NotIn, Exists or DoesNotExist",
    );
    expect(refused({ key: 'tier', operator: 'In' }).message).toContain("values must be non-empty for operator 'In'");
    expect(refused({ key: 'tier', operator: 'Exists', values: ['a'] }).message).toContain(
      "values must be empty for operator 'Exists'",
    );
  });
});
