/**
 * Receiver (notification.toolkit.fluxcd.io/v1) checks as pure functions: the webhook path Flux computes, the
 * per-type request validation of notification-controller's receiver handlers, and the `requestedAt` value it
 * writes. Signatures are compared in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

import {
  type CrossNamespaceObjectReference,
  type Receiver,
  type ReceiverType,
  receiverWebhookPath,
} from '../flux/notification.ts';
import type { KubeObject } from '../util/kube-object.ts';

/** `/hook/` + hex sha256 of token + name + namespace (Receiver `GetWebhookPath`). */
export const webhookPath = receiverWebhookPath;

/** The types Fluxdeck validates (generic-oidc needs an OIDC issuer and is not supported). */
export const SUPPORTED_RECEIVER_TYPES: readonly ReceiverType[] = [
  'generic',
  'generic-hmac',
  'github',
  'gitlab',
  'bitbucket',
  'harbor',
  'dockerhub',
  'quay',
  'gcr',
  'nexus',
  'acr',
  'cdevents',
];

export interface WebhookRequest {
  /** Lowercase header names. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** What to do with a request that passed the path lookup. */
export type Verdict =
  { ok: true; reconcile: boolean; note?: string } | { ok: false; status: 400 | 401; message: string };

const header = (r: WebhookRequest, name: string): string => {
  const v = r.headers[name.toLowerCase()];
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
};

export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  // Equal lengths are required by timingSafeEqual; comparing against itself keeps the time independent of `a`.
  if (x.length !== y.length) {
    timingSafeEqual(y, y);
    return false;
  }
  return timingSafeEqual(x, y);
}

const HASHES: Record<string, string> = {
  sha1: 'sha1',
  sha224: 'sha224',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
};

/** `<alg>=<hex hmac of the body keyed by the token>`, the generic-hmac and GitHub form. */
export function validHmacSignature(signature: string, body: Buffer, token: string): boolean {
  const eq = signature.indexOf('=');
  if (eq < 0) return false;
  const alg = HASHES[signature.slice(0, eq).toLowerCase()];
  if (!alg) return false;
  const expected = createHmac(alg, token).update(body).digest('hex');
  return constantTimeEqual(signature.slice(eq + 1).toLowerCase(), expected);
}

function eventAllowed(receiver: Receiver, event: string): boolean {
  const events = receiver.spec.events ?? [];
  return events.length === 0 || events.some((e) => e.toLowerCase() === event.toLowerCase());
}

const refuse = (message: string, status: 400 | 401 = 400): Verdict => ({ ok: false, status, message });

function validateGithub(receiver: Receiver, r: WebhookRequest, token: string): Verdict {
  const sig256 = header(r, 'X-Hub-Signature-256');
  const sig = sig256 || header(r, 'X-Hub-Signature');
  if (!sig) return refuse('the GitHub signature header is invalid: missing signature');
  if (!validHmacSignature(sig, r.body, token))
    return refuse('the GitHub signature header is invalid: payload signature check failed');
  const event = header(r, 'X-GitHub-Event');
  // GitHub sends `ping` when the hook is created: it proves the secret but asks for no reconcile.
  if (event === 'ping') return { ok: true, reconcile: false, note: 'ping' };
  if (!eventAllowed(receiver, event)) return refuse(`the GitHub event '${event}' is not authorised`);
  return { ok: true, reconcile: true };
}

function validateTokenHeader(receiver: Receiver, r: WebhookRequest, token: string, kind: string): Verdict {
  switch (kind) {
    case 'gitlab': {
      if (!constantTimeEqual(header(r, 'X-Gitlab-Token'), token)) {
        return refuse('the X-Gitlab-Token header value does not match the receiver token');
      }
      const event = header(r, 'X-Gitlab-Event');
      if (!eventAllowed(receiver, event)) return refuse(`the GitLab event '${event}' is not authorised`);
      return { ok: true, reconcile: true };
    }
    case 'harbor':
      return constantTimeEqual(header(r, 'Authorization'), token)
        ? { ok: true, reconcile: true }
        : refuse('the Harbor Authorization header value does not match the receiver token');
    default:
      return refuse(`unknown receiver type '${kind}'`);
  }
}

/** Validates a request for a Receiver whose path matched (the path itself proves the token for most types). */
export function validateWebhook(receiver: Receiver, r: WebhookRequest, token: string): Verdict {
  const type = receiver.spec.type;
  switch (type) {
    case 'generic':
      return { ok: true, reconcile: true };
    case 'dockerhub':
    case 'quay':
    case 'gcr':
    case 'nexus':
    case 'acr':
    case 'cdevents':
      // Flux decodes these payloads; the secret path is the credential.
      return jsonBody(r) ? { ok: true, reconcile: true } : refuse(`unable to decode the ${type} payload`);
    case 'generic-hmac':
      return validHmacSignature(header(r, 'X-Signature'), r.body, token)
        ? { ok: true, reconcile: true }
        : refuse('unable to validate HMAC signature');
    case 'github':
      return validateGithub(receiver, r, token);
    case 'bitbucket': {
      const sig = header(r, 'X-Hub-Signature');
      if (!validHmacSignature(sig, r.body, token)) return refuse('the Bitbucket server signature header is invalid');
      const event = header(r, 'X-Event-Key');
      if (!eventAllowed(receiver, event)) return refuse(`the Bitbucket server event '${event}' is not authorised`);
      return { ok: true, reconcile: true };
    }
    case 'gitlab':
    case 'harbor':
      return validateTokenHeader(receiver, r, token, type);
    default:
      return refuse(`receiver type '${type}' is not supported`);
  }
}

function jsonBody(r: WebhookRequest): boolean {
  try {
    JSON.parse(r.body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/** The objects a Receiver asks to reconcile: name `*` needs matchLabels (CRD-validated), namespace defaults to its own. */
export function selectResources(
  receiver: Receiver,
  ref: CrossNamespaceObjectReference,
  candidates: readonly KubeObject[],
): KubeObject[] {
  const namespace = ref.namespace || (receiver.metadata.namespace ?? '');
  return candidates.filter((o) => {
    if (o.kind !== ref.kind || (o.metadata.namespace ?? '') !== namespace) return false;
    if (ref.name !== '*' && o.metadata.name !== ref.name) return false;
    const labels = o.metadata.labels ?? {};
    return Object.entries(ref.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  });
}

const processStart = performance.timeOrigin;

/**
 * `metav1.Now().String()`, what Flux's receiver writes to `reconcile.fluxcd.io/requestedAt`: Go's Time.String in
 * UTC with trailing zeros of the fraction trimmed and the monotonic reading (`m=+<seconds since start>`).
 */
export function goTimeString(now: number = Date.now()): string {
  const d = new Date(now);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const frac = d.getUTCMilliseconds() ? `.${pad(d.getUTCMilliseconds(), 3).replace(/0+$/, '')}` : '';
  const mono = ((now - processStart) / 1000).toFixed(9);
  return `${date} ${time}${frac} +0000 UTC m=+${mono}`;
}
