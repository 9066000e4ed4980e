import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { electronStub } from './electron-stub.ts';

vi.mock('electron', () => electronStub);

const { respondWithAsset, registerAppScheme } = await import('../../../main/electron/app-protocol.ts');

describe('the fluxdeck:// protocol', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fluxdeck-proto-'));
    await writeFile(join(dir, 'index.html'), '<title>Fluxdeck</title>');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is a standard, secure scheme so workers and the CSP behave as on the web', () => {
    registerAppScheme();
    expect(electronStub.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      expect.objectContaining({
        scheme: 'fluxdeck',
        privileges: expect.objectContaining({ standard: true, secure: true }),
      }),
    ]);
  });

  it('serves the renderer with the CSP, and nothing outside it or on another host', async () => {
    const ok = await respondWithAsset(dir, 'fluxdeck://app/index.html');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await ok.text()).toContain('Fluxdeck');
    expect((await respondWithAsset(dir, 'fluxdeck://app/../../etc/passwd')).status).toBe(404);
    expect((await respondWithAsset(dir, 'fluxdeck://app/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404);
    expect((await respondWithAsset(dir, 'fluxdeck://other/index.html')).status).toBe(404);
  });
});
