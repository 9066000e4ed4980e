import * as fs from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import git from 'isomorphic-git';
import { afterEach, describe, expect, it } from 'vitest';

import type { ImagePolicy } from '../../../main/flux/image.ts';
import { automationCommits, explainPolicy, policyView } from '../../../main/workbench/image-views.ts';

const policy = (spec: Partial<ImagePolicy['spec']>): ImagePolicy => ({
  apiVersion: 'image.toolkit.fluxcd.io/v1',
  kind: 'ImagePolicy',
  metadata: { namespace: 'flux-system', name: 'podinfo' },
  spec: { imageRepositoryRef: { name: 'podinfo' }, policy: { semver: { range: '>=1.0.0' } }, ...spec },
  status: {
    latestRef: { name: 'reg/podinfo', tag: '1.2.0' },
    observedPreviousRef: { name: 'reg/podinfo', tag: '1.1.0' },
  },
});
const key = { cluster: 'prod', kind: 'ImagePolicy' as const, namespace: 'flux-system', name: 'podinfo' };

describe('the policy panel', () => {
  it('marks the tags that pass the filter, with what they extract to, and selects as the controller does', () => {
    const tags = ['main-300-b', 'main-200-a', 'feature-999-c', 'latest'];
    const view = explainPolicy(
      {
        imageRepositoryRef: { name: 'podinfo' },
        policy: { numerical: { order: 'asc' } },
        filterTags: { pattern: '^main-(?P<ts>\\d+)-', extract: '$ts' },
      },
      tags,
    );
    expect(view).toEqual({
      tags: [
        { tag: 'main-300-b', passed: true, extracted: '300' },
        { tag: 'main-200-a', passed: true, extracted: '200' },
        { tag: 'feature-999-c', passed: false },
        { tag: 'latest', passed: false },
      ],
      passed: 2,
      selected: 'main-300-b',
    });
  });

  it('says why nothing is selected: a pattern that does not compile, or no tag in range', () => {
    const bad = explainPolicy(
      { imageRepositoryRef: { name: 'p' }, policy: { semver: { range: '1.x' } }, filterTags: { pattern: '(' } },
      ['1.0.0'],
    );
    expect(bad).toMatchObject({ passed: 0, tags: [{ tag: '1.0.0', passed: false }] });
    expect(bad.problem).toMatch(/invalid regular expression pattern '\('/);
    const none = explainPolicy({ imageRepositoryRef: { name: 'p' }, policy: { semver: { range: '>=2.0.0' } } }, [
      '1.0.0',
      'v1.5.0-rc.1',
    ]);
    expect(none).toMatchObject({ passed: 2, problem: 'unable to determine latest version from provided list' });
    expect(none.selected).toBeUndefined();
  });

  it('tells a repository never scanned from one that does not exist, and shows the previous tag', () => {
    const p = policy({});
    expect(policyView(key, p, undefined, undefined).problem).toBe('ImageRepository flux-system/podinfo does not exist');
    const repo = {
      apiVersion: 'image.toolkit.fluxcd.io/v1',
      kind: 'ImageRepository' as const,
      metadata: { namespace: 'flux-system', name: 'podinfo' },
      spec: { image: 'reg/podinfo', interval: '1m' },
    };
    expect(policyView(key, p, repo, undefined).problem).toBe(
      'ImageRepository flux-system/podinfo has no tags scanned by Fluxdeck yet',
    );
    const view = policyView(key, p, repo, {
      canonicalImageName: 'reg/podinfo',
      tags: ['1.2.0', '1.1.0', 'x'],
      revision: '1',
    });
    expect(view).toMatchObject({
      image: 'reg/podinfo',
      policy: { kind: 'semver', detail: '>=1.0.0' },
      passed: 3,
      selected: '1.2.0',
      latest: { tag: '1.2.0' },
      previous: { tag: '1.1.0' },
    });
    expect(view.problem).toBeUndefined();
  });
});

describe('the automation panel’s commits', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists the automation author’s commits on the push branch, newest first, with each file before and after', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fluxdeck-automation-commits-'));
    await git.init({ fs, dir, defaultBranch: 'main' });
    const human = { name: 'Dev', email: 'dev@example.com' };
    const bot = { name: 'fluxcdbot', email: 'fluxcdbot@users.noreply.github.com' };
    const commit = async (file: string, text: string, author: typeof bot, message: string): Promise<string> => {
      await writeFile(join(dir, file), text);
      await git.add({ fs, dir, filepath: file });
      return git.commit({ fs, dir, message, author });
    };
    await commit('app.yaml', 'image: podinfo:1.0.0 # {"$imagepolicy": "flux-system:podinfo"}\n', human, 'add app');
    await commit('other.yaml', 'a: 1\n', human, 'unrelated');
    const first = await commit(
      'app.yaml',
      'image: podinfo:1.1.0 # {"$imagepolicy": "flux-system:podinfo"}\n',
      bot,
      'Update podinfo to 1.1.0',
    );
    const second = await commit(
      'app.yaml',
      'image: podinfo:1.2.0 # {"$imagepolicy": "flux-system:podinfo"}\n',
      bot,
      'Update podinfo to 1.2.0',
    );
    const commits = await automationCommits(join(dir, '.git'), 'refs/heads/main', bot);
    expect(commits.map((c) => [c.oid, c.message])).toEqual([
      [second, 'Update podinfo to 1.2.0'],
      [first, 'Update podinfo to 1.1.0'],
    ]);
    expect(commits[0]?.author).toBe('fluxcdbot <fluxcdbot@users.noreply.github.com>');
    expect(commits[0]?.files).toEqual([
      {
        path: 'app.yaml',
        before: 'image: podinfo:1.1.0 # {"$imagepolicy": "flux-system:podinfo"}\n',
        after: 'image: podinfo:1.2.0 # {"$imagepolicy": "flux-system:podinfo"}\n',
      },
    ]);
    expect(await automationCommits(join(dir, '.git'), 'refs/heads/no-such-branch', bot)).toEqual([]);
  });
});
