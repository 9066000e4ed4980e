import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { ArtifactError, credentialsFor, parseArtifactUrl } from '../../../main/workbench/index.ts';

describe('parseArtifactUrl', () => {
  it('splits registry, repository, tag and digest', () => {
    expect(parseArtifactUrl('oci://127.0.0.1:5000/apps/web:v1')).toEqual({
      registry: '127.0.0.1:5000',
      repository: 'apps/web',
      tag: 'v1',
    });
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseArtifactUrl(`oci://ghcr.io/org/app@${digest}`)).toMatchObject({ repository: 'org/app', digest });
  });

  it('requires the oci:// scheme, as flux does', () => {
    expect(() => parseArtifactUrl('ghcr.io/org/app:v1')).toThrow(ArtifactError);
    expect(() => parseArtifactUrl('ghcr.io/org/app:v1')).toThrow(/oci:\/\/registry\/repository/);
  });
});

describe('credentialsFor', () => {
  it('reads --creds as user[:password], the password possibly holding colons', () => {
    expect(credentialsFor('r', { creds: 'bot:pa:ss' })).toEqual({ kind: 'basic', username: 'bot', password: 'pa:ss' });
    expect(credentialsFor('r', { creds: 'token-only' })).toEqual({
      kind: 'basic',
      username: 'token-only',
      password: '',
    });
  });

  it('falls back to the Docker config entry for the registry, and to none when there is no file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluxdeck-docker-'));
    try {
      const file = join(dir, 'config.json');
      const auth = Buffer.from('me:secret').toString('base64');
      await writeFile(file, JSON.stringify({ auths: { 'reg.example:5000': { auth } } }));
      expect(credentialsFor('reg.example:5000', { dockerConfig: file })).toEqual({
        kind: 'basic',
        username: 'me',
        password: 'secret',
      });
      expect(credentialsFor('other.example', { dockerConfig: file })).toBeUndefined();
      expect(credentialsFor('reg.example:5000', { dockerConfig: join(dir, 'missing.json') })).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
