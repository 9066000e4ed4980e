import { describe, expect, it } from 'vitest';

import { insidePath, kustomizationDir } from '../../../main/contract/index.ts';

describe('which Kustomizations a change touches', () => {
  it('matches files under the path however spec.path is written', () => {
    for (const path of ['./apps', 'apps', './apps/', '/apps']) {
      expect(kustomizationDir(path)).toBe('apps');
      expect(insidePath(path, 'apps/web/deploy.yaml')).toBe(true);
      expect(insidePath(path, 'apps')).toBe(true);
      expect(insidePath(path, 'apps-old/deploy.yaml')).toBe(false);
      expect(insidePath(path, 'infra/apps/deploy.yaml')).toBe(false);
    }
    for (const root of ['./', '.', '', undefined]) {
      expect(kustomizationDir(root)).toBe('');
      expect(insidePath(root, 'anything/at/all.yaml')).toBe(true);
    }
  });
});
