import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { privateDir } from '../../../main/util/paths.ts';

describe('privateDir', () => {
  let root = '';
  afterEach(() => rm(root, { recursive: true, force: true }));

  it.skipIf(process.platform === 'win32')(
    'creates the data dir 0700 and tightens one an older version left 0755',
    async () => {
      root = await mkdtemp(join(tmpdir(), 'fluxdeck-paths-'));
      const fresh = privateDir(join(root, 'a', 'b'));
      expect((await stat(fresh)).mode & 0o777).toBe(0o700);
      const old = join(root, 'old');
      await mkdir(old, { mode: 0o755 });
      privateDir(old);
      expect((await stat(old)).mode & 0o777).toBe(0o700);
    },
  );
});
