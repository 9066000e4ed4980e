import type { ImagePolicy, ImagePolicyStatus, ImageRepository } from '../../flux/image.ts';
import type { ImageEvent } from '../imagerepository/ports.ts';
import type { RegistryAccess } from '../imagerepository/scan.ts';
import type { StoredTags } from '../imagerepository/tag-store.ts';

/** What the ImagePolicy reconciler needs from the world; controller.ts wires it to the caches and the tag store. */
export interface ImagePolicyPorts {
  repository(namespace: string, name: string): ImageRepository | undefined;
  /** The labels of a namespace (for `accessFrom`), or undefined when it does not exist. */
  namespaceLabels(namespace: string, signal: AbortSignal): Promise<Record<string, string> | undefined>;
  readTags(repo: ImageRepository): Promise<StoredTags | undefined>;
  secret(namespace: string, name: string, signal: AbortSignal): Promise<Record<string, string> | undefined>;
  /** The manifest digest of `repo:tag` (digest reflection). */
  digest(repo: ImageRepository, tag: string, access: RegistryAccess, signal: AbortSignal): Promise<string>;
  writeStatus(policy: ImagePolicy, status: ImagePolicyStatus): Promise<void>;
  setFinalizer(policy: ImagePolicy, present: boolean): Promise<void>;
  event(policy: ImagePolicy, event: ImageEvent): void;
  now(): Date;
}
