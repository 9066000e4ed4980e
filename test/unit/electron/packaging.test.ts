import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// The packaged app's hardening lives in electron-builder.yml, which no test runs (Electron cannot be downloaded
// here); this keeps it from being dropped or loosened by accident.
describe('electron-builder configuration', () => {
  const config = parse(readFileSync(join(import.meta.dirname, '../../../electron-builder.yml'), 'utf8')) as Record<
    string,
    unknown
  >;

  it('flips the Electron fuses that let others run code inside the signed app', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });

  it('ships the Helm helper beside the app', () => {
    expect(config.extraResources).toContainEqual(expect.objectContaining({ to: 'helm' }));
  });
});
