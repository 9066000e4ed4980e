import { describe, expect, it } from 'vitest';

import type { OCIRepositoryPorts, ResolvedArtifact } from '../../../../main/controllers/ocirepository/ports.ts';
import { reconcileOCIRepository } from '../../../../main/controllers/ocirepository/reconcile.ts';
import type { Artifact, OCIRepository, OCIRepositoryStatus } from '../../../../main/flux/source.ts';
import type { CosignVerdict } from '../../../../main/registry/index.ts';

const DIGEST = `sha256:${'b'.repeat(64)}`;

function repo(spec: Partial<OCIRepository['spec']> = {}, status?: OCIRepositoryStatus): OCIRepository {
  return {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'OCIRepository',
    metadata: { name: 'app', namespace: 'flux-system', generation: 1, finalizers: ['finalizers.fluxcd.io'] },
    spec: { url: 'oci://127.0.0.1:5000/manifests/app', interval: '5m', ref: { tag: 'v1.0.0' }, ...spec },
    ...(status ? { status } : {}),
  };
}

class PullError extends Error {
  readonly reason = 'OCIArtifactPullFailed';
}

function harness(resolve?: () => Promise<ResolvedArtifact>, verdict: CosignVerdict = { verified: true, key: 'a.pub' }) {
  const h = {
    verified: [] as string[][],
    statuses: [] as OCIRepositoryStatus[],
    events: [] as { type: string; reason: string; message: string }[],
    auth: [] as (Record<string, string> | undefined)[],
    stored: [] as { revision: string; layer?: string }[],
  };
  const files = new Set<string>();
  const ports: OCIRepositoryPorts = {
    secret: (_ns, name) =>
      Promise.resolve<Record<string, string> | undefined>(
        name === 'regcred'
          ? { '.dockerconfigjson': '{"auths":{}}' }
          : name === 'cosign-keys'
            ? { 'a.pub': 'PEM A', 'b.pub': 'PEM B', 'notes.txt': 'not a key' }
            : name === 'no-keys'
              ? { 'cosign.key': 'private' }
              : undefined,
      ),
    verifyCosign: (check) => {
      h.verified.push(check.keys.map((k) => k.name));
      return Promise.resolve(verdict);
    },
    resolve: (_r, auth) => {
      h.auth.push(auth);
      return resolve
        ? resolve()
        : Promise.resolve({
            revision: `v1.0.0@${DIGEST}`,
            digest: DIGEST,
            describe: `digest '${DIGEST}'`,
            manifest: {},
          });
    },
    storeArtifact: (_r, resolved, inputs) => {
      h.stored.push({
        revision: resolved.revision,
        ...(inputs.layerSelector?.mediaType && { layer: inputs.layerSelector.mediaType }),
      });
      const a: Artifact = {
        path: `ocirepository/flux-system/app/${h.stored.length}.tar.gz`,
        url: 'http://x',
        revision: resolved.revision,
        digest: `sha256:${h.stored.length}`,
        lastUpdateTime: '2026-12-04T00:00:00Z',
      };
      files.add(a.digest);
      return Promise.resolve(a);
    },
    artifactExists: (a) => Promise.resolve(files.has(a.digest)),
    deleteArtifacts: () => Promise.resolve(),
    writeStatus: (_r, s) => {
      h.statuses.push(structuredClone(s));
      return Promise.resolve();
    },
    setFinalizer: () => Promise.resolve(),
    event: (_r, e) => h.events.push(e),
    now: () => new Date('2026-12-04T00:00:00Z'),
  };
  return { h, ports };
}

const ready = (s: OCIRepositoryStatus | undefined) => s?.conditions?.find((c) => c.type === 'Ready');

describe('OCIRepository reconcile', () => {
  it('stores the resolved artifact with its tag@digest revision and records the inputs', async () => {
    const { h, ports } = harness();
    const selector = { mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip', operation: 'extract' as const };
    const out = await reconcileOCIRepository(
      repo({ layerSelector: selector, ignore: '*.md' }),
      ports,
      AbortSignal.timeout(5000),
    );
    const last = h.statuses.at(-1);
    expect(out.requeueAfterMs).toBe(300_000);
    expect(last?.artifact?.revision).toBe(`v1.0.0@${DIGEST}`);
    expect(last?.observedLayerSelector).toEqual(selector);
    expect(last?.observedIgnore).toBe('*.md');
    expect(ready(last)).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(h.events).toContainEqual(
      expect.objectContaining({ reason: 'NewArtifact', message: `stored artifact for digest '${DIGEST}'` }),
    );
  });

  it('does not pull again for the same digest and inputs, but does when the layer selector changes', async () => {
    const { h, ports } = harness();
    await reconcileOCIRepository(repo(), ports, AbortSignal.timeout(5000));
    const status = h.statuses.at(-1);
    await reconcileOCIRepository(repo({}, status), ports, AbortSignal.timeout(5000));
    expect(h.stored).toHaveLength(1);
    await reconcileOCIRepository(
      repo({ layerSelector: { mediaType: 'application/x-tar' } }, status),
      ports,
      AbortSignal.timeout(5000),
    );
    expect(h.stored).toEqual([
      { revision: `v1.0.0@${DIGEST}` },
      { revision: `v1.0.0@${DIGEST}`, layer: 'application/x-tar' },
    ]);
  });

  it('keeps the last artifact and says why when the registry refuses, with the reason the error carries', async () => {
    const first = harness();
    await reconcileOCIRepository(repo(), first.ports, AbortSignal.timeout(5000));
    const good = first.h.statuses.at(-1);
    const { h, ports } = harness(() => Promise.reject(new PullError('GET manifests/v1.0.0: 404 MANIFEST_UNKNOWN')));
    const out = await reconcileOCIRepository(repo({}, good), ports, AbortSignal.timeout(5000));
    const last = h.statuses.at(-1);
    expect(out.error).toBeInstanceOf(Error);
    expect(last?.artifact).toEqual(good?.artifact);
    expect(ready(last)).toMatchObject({ status: 'False', reason: 'OCIArtifactPullFailed' });
    expect(last?.conditions?.find((c) => c.type === 'FetchFailed')?.message).toContain('MANIFEST_UNKNOWN');
    expect(h.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'OCIArtifactPullFailed' });
  });

  const verifiedOf = (s: OCIRepositoryStatus | undefined) => s?.conditions?.find((c) => c.type === 'SourceVerified');

  it('refuses verification it cannot do (notation, keyless cosign): SourceVerified False, nothing pulled', async () => {
    for (const verify of [{ provider: 'notation' as const }, { provider: 'cosign' as const }]) {
      const { h, ports } = harness();
      const out = await reconcileOCIRepository(repo({ verify }), ports, AbortSignal.timeout(5000));
      const last = h.statuses.at(-1);
      expect(out.error).toBeInstanceOf(Error);
      expect(h.stored).toEqual([]);
      expect(last?.artifact).toBeUndefined();
      expect(verifiedOf(last)).toMatchObject({ status: 'False', reason: 'VerificationError' });
      expect(ready(last)).toMatchObject({ status: 'False', reason: 'VerificationError' });
      expect(ready(last)?.message).toMatch(
        verify.provider === 'cosign' ? /keyless verification .* spec\.verify\.secretRef/ : /notation is not supported/,
      );
    }
  });

  it('verifies with every *.pub key of the Secret before pulling, once per revision', async () => {
    const { h, ports } = harness();
    const verify = { provider: 'cosign' as const, secretRef: { name: 'cosign-keys' } };
    await reconcileOCIRepository(repo({ verify }), ports, AbortSignal.timeout(5000));
    const first = h.statuses.at(-1);
    expect(h.verified).toEqual([['a.pub', 'b.pub']]);
    expect(h.stored).toHaveLength(1);
    expect(verifiedOf(first)).toMatchObject({
      status: 'True',
      reason: 'Succeeded',
      message: `verified signature of revision v1.0.0@${DIGEST}`,
    });
    // The same revision and generation: verified already, not looked up again.
    await reconcileOCIRepository(repo({ verify }, first), ports, AbortSignal.timeout(5000));
    expect(h.verified).toHaveLength(1);
    // Verification no longer asked for: the condition goes.
    await reconcileOCIRepository(repo({}, h.statuses.at(-1)), ports, AbortSignal.timeout(5000));
    expect(verifiedOf(h.statuses.at(-1))).toBeUndefined();
  });

  it("fails closed with Flux's message when no signature matches, keeping the last artifact", async () => {
    const verify = { provider: 'cosign' as const, secretRef: { name: 'cosign-keys' } };
    const good = harness();
    await reconcileOCIRepository(repo({}), good.ports, AbortSignal.timeout(5000));
    const kept = good.h.statuses.at(-1);
    const NEW = `sha256:${'c'.repeat(64)}`;
    const moved = () =>
      Promise.resolve({ revision: `v1.0.0@${NEW}`, digest: NEW, describe: `digest '${NEW}'`, manifest: {} });
    for (const why of ['mismatch', 'unsigned'] as const) {
      const { h, ports } = harness(moved, { verified: false, why });
      await reconcileOCIRepository(repo({ verify }, kept), ports, AbortSignal.timeout(5000));
      const last = h.statuses.at(-1);
      expect(h.stored).toEqual([]);
      expect(last?.artifact).toEqual(kept?.artifact);
      expect(ready(last)?.message).toContain(
        `failed to verify the signature using provider 'cosign': no matching signatures were found for '127.0.0.1:5000/manifests/app@${NEW}'`,
      );
      expect(ready(last)?.message.includes('there is no signature tag')).toBe(why === 'unsigned');
    }
  });

  it('says when the Secret has no public key', async () => {
    const { h, ports } = harness();
    await reconcileOCIRepository(
      repo({ verify: { provider: 'cosign', secretRef: { name: 'no-keys' } } }),
      ports,
      AbortSignal.timeout(5000),
    );
    expect(ready(h.statuses.at(-1))?.message).toContain("secret 'flux-system/no-keys' has no public key (*.pub)");
    expect(h.verified).toEqual([]);
  });

  it('passes the dockerconfigjson Secret to the registry and fails clearly when it is missing', async () => {
    const { h, ports } = harness();
    await reconcileOCIRepository(repo({ secretRef: { name: 'regcred' } }), ports, AbortSignal.timeout(5000));
    expect(h.auth).toEqual([{ '.dockerconfigjson': '{"auths":{}}' }]);
    await reconcileOCIRepository(repo({ secretRef: { name: 'missing' } }), ports, AbortSignal.timeout(5000));
    expect(ready(h.statuses.at(-1))).toMatchObject({
      status: 'False',
      reason: 'AuthenticationFailed',
      message: `failed to get secret 'flux-system/missing': secrets "missing" not found`,
    });
  });
});
