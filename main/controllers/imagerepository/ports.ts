import type { ImageRepository, ImageRepositoryStatus } from '../../flux/image.ts';
import type { RegistryAccess } from './scan.ts';
import type { StoredTags } from './tag-store.ts';

/**
 * What the ImageRepository reconciler needs from the world. controller.ts wires these to main/registry, the Secrets of
 * the cluster and the on-disk tag store.
 */

export interface ImageEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  revision?: string;
}

export interface ImageRepositoryPorts {
  /** The decoded data of a Secret in the object's namespace, or undefined if there is no such Secret. */
  secret(namespace: string, name: string, signal: AbortSignal): Promise<Record<string, string> | undefined>;
  /** All tags of the repository; errors are ImageScanErrors carrying a Flux reason. */
  listTags(repo: ImageRepository, access: RegistryAccess, signal: AbortSignal): Promise<string[]>;
  readTags(repo: ImageRepository): Promise<StoredTags | undefined>;
  writeTags(repo: ImageRepository, canonicalImageName: string, tags: readonly string[]): Promise<StoredTags>;
  removeTags(repo: ImageRepository): Promise<void>;
  writeStatus(repo: ImageRepository, status: ImageRepositoryStatus): Promise<void>;
  setFinalizer(repo: ImageRepository, present: boolean): Promise<void>;
  event(repo: ImageRepository, event: ImageEvent): void;
  now(): Date;
}
