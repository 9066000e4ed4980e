// Differential tests: every case under test/fixtures/kustomize/ is built by `kubectl kustomize` (the reference,
// run here, never stored) and by our engine; the outputs must be the same documents in the same order and, for the
// cases listed as byte-exact, the same bytes. Cases named `error-*` must make both fail. A case builds its own
// directory, or the sub-directory named in its BUILD file.
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { build, KustomizeError, openDirectory, toYamlStream } from '../../../main/kustomize/index.ts';
import { caseDir, cases, fixtures, kubectlKustomize as kubectl } from './corpus.ts';

function ours(dir: string): { ok: true; out: string } | { ok: false; err: unknown } {
  try {
    const { fs, path } = openDirectory(dir, fixtures, 'disk');
    return { ok: true, out: toYamlStream(build(fs, path).objects) };
  } catch (err) {
    return { ok: false, err };
  }
}

function docs(text: string): unknown[] {
  return parseAllDocuments(text).map((d) => d.toJS() as unknown);
}

describe('kustomize build matches kubectl kustomize', () => {
  it('has a corpus of at least 60 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  for (const name of cases) {
    const dir = join(fixtures, caseDir(name));
    if (name.startsWith('error-')) {
      it(`${name}: both fail`, async () => {
        const ref = await kubectl(dir);
        expect(ref.ok, 'kubectl should fail').toBe(false);
        const got = ours(dir);
        expect(got.ok, 'our build should fail').toBe(false);
        if (!got.ok) {
          expect(got.err).toBeInstanceOf(KustomizeError);
          expect((got.err as KustomizeError).file).toBeTruthy();
        }
      }, 60_000);
      continue;
    }
    it(`${name}: same documents and bytes`, async () => {
      const ref = await kubectl(dir);
      if (!ref.ok) throw new Error(`kubectl failed on ${name}: ${ref.err}`);
      const got = ours(dir);
      if (!got.ok) throw got.err;
      expect(docs(got.out)).toEqual(docs(ref.out));
      expect(got.out).toBe(ref.out);
    }, 60_000);
  }
});
