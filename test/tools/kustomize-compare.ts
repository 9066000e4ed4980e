// Runs kustomize cases through `kubectl kustomize` and our engine and prints how they compare:
//
//   npx node test/tools/kustomize-compare.ts [--show] [CASES_DIR]
//
// CASES_DIR (default: the differential corpus, test/fixtures/kustomize) holds one directory per case, built at its
// root or at the sub-directory its BUILD file names. A case is counted as identical, different output, refused by
// us (split into "unsupported" and other errors), refused by both, or wrongly accepted (kubectl refuses, we build).
// --show prints the first lines of each difference and each error. Cases with an ENABLE_HELM file are built with
// Helm enabled on both sides (see corpus.ts).
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { HelmClient } from '../../main/helm/index.ts';
import { ensureHelmHelper } from '../support/helm-helper.ts';
import {
  caseDir,
  engineKustomize,
  kubectlHelmCommand,
  kubectlKustomize as kubectl,
  needsHelm,
} from '../unit/kustomize/corpus.ts';

let helm: HelmClient | undefined;

async function ours(
  root: string,
  dir: string,
  withHelm: boolean,
): Promise<{ ok: true; out: string } | { ok: false; err: string }> {
  if (withHelm) helm ??= new HelmClient({ path: await ensureHelmHelper() });
  const got = await engineKustomize(root, dir, withHelm ? helm : undefined);
  return got.ok ? got : { ok: false, err: (got.err as Error).message };
}

function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  const i = la.findIndex((l, n) => l !== lb[n]);
  const at = i < 0 ? la.length : i;
  return `line ${at + 1}: kubectl ${JSON.stringify(la[at])} / ours ${JSON.stringify(lb[at])}`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const show = args.includes('--show');
  const root = resolve(args.find((a) => !a.startsWith('--')) ?? join(import.meta.dirname, '../fixtures/kustomize'));
  const names = readdirSync(root)
    .filter((n) => statSync(join(root, n)).isDirectory())
    .sort();
  const counts = { identical: 0, different: 0, unsupported: 0, error: 0, bothRefuse: 0, wronglyAccepted: 0 };
  const notes: string[] = [];
  for (const name of names) {
    const dir = join(root, caseDir(name, root));
    const withHelm = needsHelm(name, root);
    const ref = await kubectl(dir, withHelm ? { helmCommand: await kubectlHelmCommand() } : {});
    const got = await ours(root, dir, withHelm);
    if (!ref.ok) {
      if (got.ok) {
        counts.wronglyAccepted++;
        notes.push(`WRONGLY ACCEPTED ${name}: kubectl says ${ref.err.split('\n').pop() ?? ''}`);
      } else counts.bothRefuse++;
      if (!name.startsWith('error-'))
        notes.push(`KUBECTL REFUSES ${name} (not named error-*): ${ref.err.split('\n').pop() ?? ''}`);
      continue;
    }
    if (!got.ok) {
      const unsupported = /not supported/.test(got.err);
      counts[unsupported ? 'unsupported' : 'error']++;
      notes.push(`${unsupported ? 'UNSUPPORTED' : 'ERROR'} ${name}: ${got.err}`);
      continue;
    }
    if (ref.out === got.out) counts.identical++;
    else {
      counts.different++;
      notes.push(`DIFFERENT ${name}: ${firstDifference(ref.out, got.out)}`);
    }
  }
  if (show) for (const n of notes) console.log(n);
  else for (const n of notes) console.log(n.split(':')[0]);
  const accepted = counts.identical + counts.different + counts.unsupported + counts.error;
  console.log(
    `\n${names.length} cases. kubectl accepts ${accepted}: ${counts.identical} identical, ${counts.different} different, ` +
      `${counts.unsupported} refused as unsupported, ${counts.error} other errors. kubectl refuses ${counts.bothRefuse + counts.wronglyAccepted}: ` +
      `${counts.bothRefuse} refused by us too, ${counts.wronglyAccepted} wrongly accepted.`,
  );
  await helm?.dispose();
}

await main();
