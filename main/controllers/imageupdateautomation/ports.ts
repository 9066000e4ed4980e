import type { ImagePolicy, ImageUpdateAutomation, ImageUpdateAutomationStatus } from '../../flux/image.ts';
import type { GitRepository } from '../../flux/source.ts';
import type { GitAuth } from '../../sources/git/git-auth.ts';
import type { ImageEvent } from '../imagerepository/ports.ts';
import type { GitUpdateRequest, GitUpdateResult } from './git-update.ts';

/** What the ImageUpdateAutomation reconciler needs from the world; controller.ts wires it. */
export interface ImageUpdateAutomationPorts {
  gitRepository(namespace: string, name: string): GitRepository | undefined;
  /** The ImagePolicies of a namespace. */
  policies(namespace: string): ImagePolicy[];
  /** Credentials for the GitRepository (its `secretRef`), or undefined without one. */
  gitAuth(repo: GitRepository, signal: AbortSignal): Promise<GitAuth | undefined>;
  /** A Secret's decoded data (the signing key), or undefined when it does not exist. */
  secret(namespace: string, name: string, signal: AbortSignal): Promise<Record<string, string> | undefined>;
  /** Runs the update in this automation's clone (`dir` is filled in by the port). */
  update(automation: ImageUpdateAutomation, request: Omit<GitUpdateRequest, 'dir'>): Promise<GitUpdateResult>;
  /** Asks the GitRepository to reconcile now (the `reconcile.fluxcd.io/requestedAt` annotation). */
  requestReconcile(repo: GitRepository, at: string): Promise<void>;
  writeStatus(automation: ImageUpdateAutomation, status: ImageUpdateAutomationStatus): Promise<void>;
  setFinalizer(automation: ImageUpdateAutomation, present: boolean): Promise<void>;
  event(automation: ImageUpdateAutomation, event: ImageEvent): void;
  now(): Date;
}
