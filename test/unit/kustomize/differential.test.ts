// Differential tests: every case under test/fixtures/kustomize/ is built by `kubectl kustomize` (the reference,
// run here, never stored) and by our engine; the outputs must be the same documents in the same order and the same
// bytes. Cases named `error-*` must make both fail. A case builds its own directory, or the sub-directory named in
// its BUILD file; a case with an ENABLE_HELM file is built with Helm enabled on both sides (kubectl runs the helm
// built by test/tools/build.sh, our engine the Helm helper).
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { HelmClient } from '../../../main/helm/index.ts';
import { KustomizeError } from '../../../main/kustomize/index.ts';
import { ensureHelmHelper } from '../../support/helm-helper.ts';
import {
  caseDir,
  cases,
  engineKustomize,
  fixtures,
  kubectlHelmCommand,
  kubectlKustomize,
  needsHelm,
} from './corpus.ts';

function docs(text: string): unknown[] {
  return parseAllDocuments(text).map((d) => d.toJS() as unknown);
}

let helmClient: Promise<HelmClient> | undefined;
const helmFor = (name: string): Promise<HelmClient> | undefined => {
  if (!needsHelm(name)) return undefined;
  helmClient ??= ensureHelmHelper().then((path) => new HelmClient({ path }));
  return helmClient;
};

async function both(name: string) {
  const dir = join(fixtures, caseDir(name));
  const helm = await helmFor(name);
  const ref = await kubectlKustomize(dir, helm ? { helmCommand: await kubectlHelmCommand() } : {});
  const got = await engineKustomize(fixtures, dir, helm);
  return { ref, got };
}

afterAll(async () => {
  if (helmClient) await (await helmClient).dispose();
});

describe('kustomize build matches kubectl kustomize', () => {
  it('has a corpus of at least 60 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  for (const name of cases) {
    if (name.startsWith('error-')) {
      it(`${name}: both fail`, async () => {
        const { ref, got } = await both(name);
        expect(ref.ok, 'kubectl should fail').toBe(false);
        expect(got.ok, 'our build should fail').toBe(false);
        if (!got.ok) {
          expect(got.err).toBeInstanceOf(KustomizeError);
          expect((got.err as KustomizeError).file).toBeTruthy();
        }
      }, 600_000);
      continue;
    }
    it(`${name}: same documents and bytes`, async () => {
      const { ref, got } = await both(name);
      if (!ref.ok) throw new Error(`kubectl failed on ${name}: ${ref.err}`);
      if (!got.ok) throw got.err;
      expect(docs(got.out)).toEqual(docs(ref.out));
      expect(got.out).toBe(ref.out);
    }, 600_000);
  }
});
