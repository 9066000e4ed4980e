import { describe, expect, it } from 'vitest';

import {
  branchesOf,
  checkSourceAuth,
  checkSpec,
} from '../../../../main/controllers/imageupdateautomation/reconcile.ts';
import type { ImageUpdateAutomation } from '../../../../main/flux/image.ts';
import type { GitRepository } from '../../../../main/flux/source.ts';

const repo = (spec: Partial<GitRepository['spec']> = {}): GitRepository => ({
  apiVersion: 'source.toolkit.fluxcd.io/v1',
  kind: 'GitRepository',
  metadata: { name: 'fleet', namespace: 'ns' },
  spec: { url: 'http://git/fleet.git', interval: '1m', ref: { branch: 'main' }, ...spec },
});

const auto = (git: Partial<NonNullable<ImageUpdateAutomation['spec']['git']>> = {}): ImageUpdateAutomation => ({
  apiVersion: 'image.toolkit.fluxcd.io/v1',
  kind: 'ImageUpdateAutomation',
  metadata: { name: 'a', namespace: 'ns' },
  spec: {
    sourceRef: { kind: 'GitRepository', name: 'fleet' },
    interval: '5m',
    git: { commit: { author: { email: 'bot@example.com' } }, ...git },
  },
});

describe('branchesOf', () => {
  it("checks out git.checkout.ref or the GitRepository's ref, and pushes to git.push.branch or the checkout branch", () => {
    expect(branchesOf(auto(), repo())).toEqual({ checkout: { branch: 'main' }, push: 'main' });
    expect(branchesOf(auto({ checkout: { ref: { branch: 'dev' } } }), repo())).toEqual({
      checkout: { branch: 'dev' },
      push: 'dev',
    });
    expect(branchesOf(auto({ push: { branch: 'auto' } }), repo())).toEqual({
      checkout: { branch: 'main' },
      push: 'auto',
    });
    expect(branchesOf(auto({ checkout: { ref: { semver: '^1' } }, push: { branch: 'auto' } }), repo())).toEqual({
      checkout: { semver: '^1' },
      push: 'auto',
    });
  });

  it('needs git.push.branch when the checkout is a tag, semver, name or commit', () => {
    for (const ref of [{ tag: 'v1' }, { semver: '^1' }, { name: 'refs/tags/v1' }, { commit: 'a'.repeat(40) }])
      expect(() => branchesOf(auto({ checkout: { ref } }), repo())).toThrow(/git\.push\.branch is required/);
  });
});

describe('spec checks', () => {
  it('accepts an OpenPGP signing key and refuses an SSH one', () => {
    expect(() =>
      checkSpec(auto({ commit: { author: { email: 'b@x' }, signingKey: { secretRef: { name: 'k' } } } })),
    ).not.toThrow();
    expect(() =>
      checkSpec(auto({ commit: { author: { email: 'b@x' }, signingKey: { secretRef: { name: 'k' }, type: 'ssh' } } })),
    ).toThrow(/type 'ssh' is not supported/);
  });

  it('refuses cloud credentials of the GitRepository instead of ignoring them', () => {
    expect(() => checkSourceAuth(repo())).not.toThrow();
    expect(() => checkSourceAuth(repo({ provider: 'github' }))).toThrow(/provider 'github'/);
    expect(() => checkSourceAuth(repo({ provider: 'azure', serviceAccountName: 'sa' }))).toThrow(
      /serviceAccountName 'sa'/,
    );
  });
});
