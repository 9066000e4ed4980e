import { type FluxKindDescriptor, fluxKinds } from '../flux/kinds.ts';
import { UsageError } from './command.ts';

/**
 * The words the flux CLI uses for kinds (`source git`, `kustomization`, `ks`, `helmrelease`...), so muscle memory
 * carries over. Returns the kind and how many positionals the words used.
 */
const WORDS: [string[], FluxKindDescriptor][] = [
  [['source', 'git'], fluxKinds.GitRepository],
  [['sources', 'git'], fluxKinds.GitRepository],
  [['source', 'helm'], fluxKinds.HelmRepository],
  [['sources', 'helm'], fluxKinds.HelmRepository],
  [['source', 'oci'], fluxKinds.OCIRepository],
  [['sources', 'oci'], fluxKinds.OCIRepository],
  [['source', 'bucket'], fluxKinds.Bucket],
  [['sources', 'bucket'], fluxKinds.Bucket],
  [['source', 'chart'], fluxKinds.HelmChart],
  [['sources', 'chart'], fluxKinds.HelmChart],
  [['kustomization'], fluxKinds.Kustomization],
  [['kustomizations'], fluxKinds.Kustomization],
  [['ks'], fluxKinds.Kustomization],
  [['helmrelease'], fluxKinds.HelmRelease],
  [['helmreleases'], fluxKinds.HelmRelease],
  [['hr'], fluxKinds.HelmRelease],
  [['images', 'repository'], fluxKinds.ImageRepository],
  [['image', 'repository'], fluxKinds.ImageRepository],
  [['images', 'policy'], fluxKinds.ImagePolicy],
  [['image', 'policy'], fluxKinds.ImagePolicy],
  [['images', 'update'], fluxKinds.ImageUpdateAutomation],
  [['image', 'update'], fluxKinds.ImageUpdateAutomation],
  [['alerts'], fluxKinds.Alert],
  [['alert'], fluxKinds.Alert],
  [['alert-providers'], fluxKinds.Provider],
  [['alert-provider'], fluxKinds.Provider],
  [['receivers'], fluxKinds.Receiver],
  [['receiver'], fluxKinds.Receiver],
];

export function kindFromWords(positionals: string[], verb: string): { kind: FluxKindDescriptor; rest: string[] } {
  for (const [words, kind] of WORDS) {
    if (words.every((w, i) => positionals[i] === w)) return { kind, rest: positionals.slice(words.length) };
  }
  throw new UsageError(
    `${verb}: unknown kind '${positionals.slice(0, 2).join(' ')}'; use one of: source git, source helm, source oci, source bucket, kustomization (ks), helmrelease (hr), image repository|policy|update, alerts, alert-providers, receivers`,
  );
}
