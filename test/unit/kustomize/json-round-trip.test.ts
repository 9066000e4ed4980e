// kubectl prints resources through JSON and back (fixtures output-nel-ls-ps-and-complex-keys and
// error-output-nel-in-key check the same against kubectl): NEL folds like a YAML line break, keys with a NEL fail,
// and keys with any line break or more than 128 bytes are written as complex keys.
import { describe, expect, it } from 'vitest';

import { build, KustomizeError, MemoryFs, toYaml } from '../../../main/kustomize/index.ts';
import { foldNel } from '../../../main/kustomize/json-round-trip.ts';

describe('NEL after the JSON round trip', () => {
  it('folds one NEL to a space and n NELs to n-1 newlines, dropping the spaces around them', () => {
    expect(foldNel('a\u0085b')).toBe('a b');
    expect(foldNel('\u0085')).toBe(' ');
    expect(foldNel('a \u0085  \u0085\u0085 b \u0085')).toBe('a\n\nb ');
    expect(foldNel('tab\there\u2028')).toBe('tab\there\u2028');
  });

  it('prints folded values and refuses a key holding a NEL, naming the file', () => {
    const files = {
      'kustomization.yaml': 'resources: [cm.yaml]\n',
      'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: "x\\Ny", b: "x\\Ly"}\n',
    };
    const [cm] = build(new MemoryFs(files), '.').objects;
    expect(cm?.data).toEqual({ a: 'x y', b: 'x\u2028y' });

    files['cm.yaml'] = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {"a\\Nb": v}\n';
    let err: unknown;
    try {
      build(new MemoryFs(files), '.');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KustomizeError);
    expect((err as KustomizeError).file).toBe('cm.yaml');
    expect((err as KustomizeError).message).toContain('data.a\\u0085b');
  });
});

describe('complex keys', () => {
  it('writes keys with a line break or over 128 bytes as `? key` / `: value`', () => {
    const long = 'b'.repeat(129);
    expect(toYaml({ spec: { 'k\nk': { a: 'b' }, 'k\u2028k': ['x'], [long]: 'v', ['a'.repeat(128)]: 'v' } })).toBe(
      [
        'spec:',
        `  ${'a'.repeat(128)}: v`,
        `  ? ${long}`,
        '  : v',
        '  ? |-',
        '    k',
        '    k',
        '  : a: b',
        "  ? 'k\u2028    k'",
        '  : - x',
        '',
      ].join('\n'),
    );
  });
});
