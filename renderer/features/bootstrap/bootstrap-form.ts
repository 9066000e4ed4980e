/**
 * The bootstrap wizard's pure parts: the form's defaults, its field checks (each message says what to write), the
 * request it becomes, and how progress events fold into the step list.
 */
import type { BootstrapProgress, BootstrapRequest } from '../../../main/contract/index.ts';
import type {
  BootstrapField,
  BootstrapForm,
  BootstrapStepView,
  BootstrapWizard,
} from '../../store/slices/bootstrap.ts';

/** `clusters/<context>`, the context made a directory name (EKS contexts hold `:` and `/`). */
export function defaultPath(context: string): string {
  const name = context
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, 63);
  return `clusters/${name || 'cluster'}`;
}

export function emptyForm(cluster: string): BootstrapForm {
  return {
    cluster,
    url: '',
    branch: 'main',
    path: defaultPath(cluster),
    pathEdited: false,
    namespace: 'flux-system',
    username: '',
    password: '',
    mode: 'desktop',
  };
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const BAD_BRANCH = /[\s~^:?*[\\]|\.\.|@\{|^[-/.]|[/.]$|\.lock$/;

/** What is wrong with each field, as what to write instead; an empty object when the form can be sent. */
export function formErrors(form: BootstrapForm, connected: readonly string[]): Partial<Record<BootstrapField, string>> {
  const out: Partial<Record<BootstrapField, string>> = {};
  if (!form.cluster) out.cluster = 'Choose the context to bootstrap; connect it in the sidebar first.';
  else if (!connected.includes(form.cluster))
    out.cluster = `Connect ${form.cluster} in the sidebar first: the bootstrap runs against a connected cluster.`;
  const url = form.url.trim();
  if (!url) out.url = 'Enter the repository’s URL, e.g. https://github.com/org/fleet.git.';
  else if (/^(ssh:\/\/|[\w.-]+@[\w.-]+:)/.test(url))
    out.url = 'SSH URLs are not supported yet: use the repository’s https:// URL with a username and token.';
  else if (!/^https?:\/\/[^\s/]+\/\S+$/.test(url))
    out.url = 'Write the URL as https://host/org/repository.git (the address you would git clone).';
  else if (/^https?:\/\/[^/]*@/.test(url))
    out.url = 'Leave the credentials out of the URL: enter them in the username and password fields below.';
  const branch = form.branch.trim();
  if (!branch) out.branch = 'Enter the branch to push to, e.g. main.';
  else if (BAD_BRANCH.test(branch))
    out.branch = 'A branch name cannot hold spaces, ~ ^ : ? * [ \\ or "..", nor start or end with / or .';
  const path = form.path.trim();
  if (!path) out.path = `Enter the cluster’s directory in the repository, e.g. ${defaultPath(form.cluster)}.`;
  else if (path.startsWith('/') || path.split('/').includes('..'))
    out.path = `Use a path inside the repository, without a leading / or "..", e.g. ${defaultPath(form.cluster)}.`;
  const ns = form.namespace.trim();
  if (!ns) out.namespace = 'Enter the namespace for the sync objects, e.g. flux-system.';
  else if (!NAMESPACE.test(ns) || ns.length > 63)
    out.namespace = 'Use a namespace name: lower-case letters, digits and dashes, e.g. flux-system.';
  if (form.username.trim() && !form.password)
    out.password = 'Enter the password or token that goes with the username (or clear the username).';
  if (form.password && !form.username.trim())
    out.username = 'Enter the username that goes with the password or token (for a token, any name the host accepts).';
  return out;
}

/** The request the form becomes; the caller checked `formErrors` first. */
export function requestOf(form: BootstrapForm, actionId: string): BootstrapRequest {
  const username = form.username.trim();
  return {
    actionId,
    cluster: form.cluster,
    url: form.url.trim(),
    branch: form.branch.trim(),
    path: form.path.trim(),
    namespace: form.namespace.trim(),
    mode: form.mode,
    ...(username && form.password ? { credentials: { username, password: form.password } } : {}),
  };
}

/** The object a `waiting` line is about (`GitRepository flux-system/flux-system: …`), so a newer line replaces it. */
const subjectOf = (message: string): string => message.split(': ')[0] ?? message;

/** Folds a progress event into the wizard's steps: another run's events are ignored; a waiting line updates in place. */
export function applyBootstrapProgress(
  wizard: BootstrapWizard | undefined,
  p: BootstrapProgress,
): BootstrapWizard | undefined {
  if (!wizard || wizard.actionId !== p.actionId) return wizard;
  const step: BootstrapStepView = { state: p.state, message: p.message };
  const last = wizard.steps.at(-1);
  const replace = last?.state === 'waiting' && subjectOf(last.message) === subjectOf(p.message);
  return { ...wizard, steps: [...(replace ? wizard.steps.slice(0, -1) : wizard.steps), step] };
}

/**
 * How a step shows. A `running` step lasts until a later step starts or finishes one (`waiting` lines report on it);
 * if the run failed before that, it is the step that failed.
 */
export function shownState(
  steps: readonly BootstrapStepView[],
  i: number,
  finished: boolean,
): BootstrapStepView['state'] {
  const s = steps[i];
  if (!s || s.state !== 'running') return s?.state ?? 'done';
  const next = steps.slice(i + 1).find((n) => n.state !== 'waiting');
  if (next?.state === 'failed') return 'failed';
  return next || finished ? 'done' : 'running';
}
