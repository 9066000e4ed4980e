/**
 * What the image automation panels and the fleet images view show: an ImagePolicy's scanned tags and why one was
 * selected, an ImageUpdateAutomation's last commits with their diffs and what its next run would commit, and for each
 * image which tag runs where against which tag a policy wants.
 */
import { z } from 'zod';

import { ClusterName, Name, Namespace } from './model.ts';

export const ImagePolicyKey = z.strictObject({
  cluster: ClusterName,
  kind: z.literal('ImagePolicy'),
  namespace: Namespace.min(1),
  name: Name,
});
export type ImagePolicyKey = z.infer<typeof ImagePolicyKey>;

export const ImageAutomationKey = z.strictObject({
  cluster: ClusterName,
  kind: z.literal('ImageUpdateAutomation'),
  namespace: Namespace.min(1),
  name: Name,
});
export type ImageAutomationKey = z.infer<typeof ImageAutomationKey>;

export const ImageRefView = z.object({ name: z.string(), tag: z.string(), digest: z.string().optional() });
export type ImageRefView = z.infer<typeof ImageRefView>;

/** One scanned tag and what the policy made of it. */
export const PolicyTag = z.object({
  tag: z.string(),
  /** It passed `filterTags.pattern` (every tag does without a filter). */
  passed: z.boolean(),
  /** The value the policy compares (the `extract` result), when it differs from the tag. */
  extracted: z.string().optional(),
});
export type PolicyTag = z.infer<typeof PolicyTag>;

export const ImagePolicyView = z.object({
  key: ImagePolicyKey,
  repository: z.object({ namespace: Namespace, name: Name }),
  /** `status.canonicalImageName` of the repository, or its `spec.image`. */
  image: z.string().optional(),
  /** `semver`, `alphabetical` or `numerical`, with the range or the order. */
  policy: z.object({ kind: z.enum(['semver', 'alphabetical', 'numerical', 'none']), detail: z.string() }),
  filter: z.object({ pattern: z.string().optional(), extract: z.string().optional() }).optional(),
  /** The repository's stored tags, as Flux stores them (descending string order). */
  tags: z.array(PolicyTag),
  passed: z.number().int(),
  /** The tag the policy would select from these tags now (same code as the controller). */
  selected: z.string().optional(),
  /** Why nothing is selected (invalid policy, no match, not scanned yet). */
  problem: z.string().optional(),
  latest: ImageRefView.optional(),
  previous: ImageRefView.optional(),
  scanTime: z.string().optional(),
});
export type ImagePolicyView = z.infer<typeof ImagePolicyView>;

/** One file of a commit: the text before and after (setters edit in place, so files are small and few). */
export const FileDiff = z.object({ path: z.string(), before: z.string(), after: z.string() });
export type FileDiff = z.infer<typeof FileDiff>;

export const AutomationCommit = z.object({
  oid: z.string(),
  message: z.string(),
  author: z.string(),
  at: z.string(),
  files: z.array(FileDiff),
});
export type AutomationCommit = z.infer<typeof AutomationCommit>;

export const ImageAutomationView = z.object({
  key: ImageAutomationKey,
  source: z.object({ namespace: Namespace, name: Name }),
  pushBranch: z.string().optional(),
  lastPushCommit: z.string().optional(),
  lastPushTime: z.string().optional(),
  lastAutomationRunTime: z.string().optional(),
  observedPolicies: z.array(z.object({ name: Name, ref: ImageRefView })),
  /** The automation's commits on the push branch, newest first (from its clone; empty before its first run). */
  commits: z.array(AutomationCommit),
  /** Why the commits could not be read (no local clone: another engine runs the automation). */
  commitsProblem: z.string().optional(),
});
export type ImageAutomationView = z.infer<typeof ImageAutomationView>;

/** `fluxdeck image preview`: what the next run would commit, nothing committed. */
export const ImageAutomationPreview = z.object({
  key: ImageAutomationKey,
  url: z.string(),
  branch: z.string(),
  head: z.string(),
  files: z.array(FileDiff),
  skipped: z.array(z.string()),
  notes: z.array(z.string()),
});
export type ImageAutomationPreview = z.infer<typeof ImageAutomationPreview>;

/** One container of one workload that runs an image. */
export const ImageRun = z.object({
  cluster: ClusterName,
  namespace: Namespace,
  kind: z.string(),
  workload: Name,
  container: z.string(),
  tag: z.string().optional(),
  digest: z.string().optional(),
});
export type ImageRun = z.infer<typeof ImageRun>;

/** What an ImagePolicy wants for an image. */
export const ImageWant = z.object({
  cluster: ClusterName,
  namespace: Namespace,
  policy: Name,
  tag: z.string().optional(),
  digest: z.string().optional(),
});
export type ImageWant = z.infer<typeof ImageWant>;

export const FleetImage = z.object({
  /** The repository without tag or digest, normalised as Docker does (`docker.io/library/nginx`). */
  image: z.string(),
  runs: z.array(ImageRun.extend({ differs: z.boolean() })),
  wants: z.array(ImageWant),
  /** Some run does not match what a policy of its cluster wants. */
  differs: z.boolean(),
});
export type FleetImage = z.infer<typeof FleetImage>;

export const FleetImages = z.object({ images: z.array(FleetImage) });
export type FleetImages = z.infer<typeof FleetImages>;

export const imageRequests = {
  'images:policy': { req: z.strictObject({ key: ImagePolicyKey }), res: ImagePolicyView },
  'images:automation': { req: z.strictObject({ key: ImageAutomationKey }), res: ImageAutomationView },
  'images:preview': { req: z.strictObject({ key: ImageAutomationKey }), res: ImageAutomationPreview },
  /** Every connected cluster's workloads' images joined with the ImagePolicies (from the watch caches). */
  'images:fleet': { req: z.strictObject({}), res: FleetImages },
} as const;
