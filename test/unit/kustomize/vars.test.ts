// Unit tests of `vars`: kustomize's $(NAME) expansion and binding a var to its resource. The differential corpus
// (vars-*, error-vars-*) checks whole builds against kubectl.
import { describe, expect, it } from 'vitest';

import { build, KustomizeError, MemoryFs, toYamlStream } from '../../../main/kustomize/index.ts';
import { expand } from '../../../main/kustomize/vars.ts';

const values = new Map<string, unknown>([
  ['NAME', 'web'],
  ['PORT', 8080],
  ['ON', true],
  ['RATIO', 0.000015],
  ['MAP', { a: 'b' }],
]);

describe('vars expansion', () => {
  it('replaces references inside a string with their text', () => {
    const used = new Set<string>();
    expect(expand('http://$(NAME):$(PORT)/$(ON)', values, used)).toBe('http://web:8080/true');
    expect([...used].sort()).toEqual(['NAME', 'ON', 'PORT']);
  });

  it('gives a string that is exactly one reference the value with its type', () => {
    expect(expand('$(PORT)', values, new Set())).toBe(8080);
    expect(expand('$(ON)', values, new Set())).toBe(true);
  });

  it('prints floats as Go does', () => {
    expect(expand('r=$(RATIO)', values, new Set())).toBe('r=1.5e-05');
  });

  it('leaves unknown names, non-scalar values, escapes and unclosed references as kustomize does', () => {
    const used = new Set<string>();
    expect(expand('$(NOPE) $(MAP) $$(NAME) $HOME $(NAME', values, used)).toBe('$(NOPE) $(MAP) $(NAME) $HOME $(NAME');
    expect(expand('cost: 5$', values, used)).toBe('cost: 5$');
    expect(used.size).toBe(0);
  });
});

const fs = (kustomization: string): MemoryFs =>
  new MemoryFs({
    'kustomization.yaml': kustomization,
    'svc.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations:\n    url: http://$(SVC)\n',
  });

describe('vars in a build', () => {
  it('substitutes the final name of the bound resource', () => {
    const out = build(
      fs(
        'namePrefix: p-\nresources: [svc.yaml]\nvars:\n- name: SVC\n  objref: {kind: Service, name: web, apiVersion: v1}\n',
      ),
      '',
    );
    expect(toYamlStream(out.objects)).toContain('url: http://p-web');
  });

  it('refuses a var that no resource answers to, naming the kustomization', () => {
    const run = (): unknown =>
      build(fs('resources: [svc.yaml]\nvars:\n- name: SVC\n  objref: {kind: Service, name: web}\n'), '');
    expect(run).toThrow(KustomizeError);
    expect(run).toThrow(
      /kustomization.yaml: var '\{SVC Service.\[noVer\].\[noGrp\] \{metadata.name\}\}' cannot be mapped/,
    );
  });
});
