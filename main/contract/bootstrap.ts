/**
 * The desktop bootstrap wizard: put a connected cluster under GitOps from a Git repository, as `fluxdeck bootstrap git`
 * does (main/workbench/bootstrap.ts). The request runs the whole bootstrap and answers when flux-system is Ready; its
 * steps arrive meanwhile as `bootstrap:onProgress` events tagged with the id the client chose. Credentials travel
 * main-ward only: no response or event carries them back.
 */
import { z } from 'zod';

import { BasicCredentials } from './editing.ts';
import { ActionId, ClusterName, FluxKey } from './model.ts';

/**
 * `desktop`: Fluxdeck reconciles flux-system while it runs (no controllers in the cluster). `in-cluster`: Flux's
 * controllers are deployed from the repository and Fluxdeck steps back to observe.
 */
export const BootstrapMode = z.enum(['desktop', 'in-cluster']);
export type BootstrapMode = z.infer<typeof BootstrapMode>;

export const BootstrapRequest = z.strictObject({
  actionId: ActionId,
  /** The kubeconfig context; it must be connected. */
  cluster: ClusterName,
  url: z.string().trim().min(1, 'the repository URL is required').max(2048),
  /** Default `main`. */
  branch: z.string().trim().max(255).optional(),
  /** The cluster's directory in the repository, e.g. `clusters/prod`. */
  path: z.string().trim().min(1, 'the cluster’s directory is required').max(1024),
  /** Default `flux-system`. */
  namespace: z
    .string()
    .trim()
    .max(63)
    .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/, 'a namespace name: lower-case letters, digits and dashes')
    .optional(),
  mode: BootstrapMode,
  /** Used for the push and stored in the source's Secret in the cluster; never sent back. */
  credentials: BasicCredentials.optional(),
});
export type BootstrapRequest = z.infer<typeof BootstrapRequest>;

/** `failed` ends a run whose request then answers with the error envelope. */
export const BootstrapStepState = z.enum(['running', 'done', 'waiting', 'failed']);
export type BootstrapStepState = z.infer<typeof BootstrapStepState>;

export const BootstrapProgress = z.object({
  actionId: ActionId,
  cluster: ClusterName,
  state: BootstrapStepState,
  message: z.string(),
  at: z.string(),
});
export type BootstrapProgress = z.infer<typeof BootstrapProgress>;

export const BootstrapResult = z.object({
  actionId: ActionId,
  cluster: ClusterName,
  message: z.string(),
  /** The flux-system Kustomization, Ready, for the wizard's link to the graph. */
  kustomization: FluxKey,
  durationMs: z.number(),
});
export type BootstrapResult = z.infer<typeof BootstrapResult>;

export const bootstrapRequests = {
  /** Runs a bootstrap of a connected cluster; one at a time per cluster (a second one is refused with `conflict`). */
  'bootstrap:start': { req: BootstrapRequest, res: BootstrapResult },
  /**
   * Cancels the cluster's running bootstrap: its `bootstrap:start` answers `cancelled` at once; the step in flight
   * ends in the background and nothing after it starts. What was pushed or applied stays; running it again finishes
   * it (a retry waits for that step rather than being refused).
   */
  'bootstrap:cancel': {
    req: z.strictObject({ cluster: ClusterName }),
    res: z.object({ cancelled: z.boolean() }),
  },
} as const;
