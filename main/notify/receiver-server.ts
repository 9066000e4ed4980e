/**
 * The webhook receiver server (off unless started): POST /hook/<sha256> finds the Receiver whose token, name and
 * namespace hash to that path in any connected cluster, validates the request for the Receiver's type and annotates
 * each selected resource with `reconcile.fluxcd.io/requestedAt` as notification-controller does, which the
 * controllers pick up at once. Bodies are limited, slow requests time out, unknown paths get 404 and refused
 * requests 400 with nothing annotated. Paths come from `status.webhookPath`, which the Receiver controller writes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { ResourceType } from '../engine/controller-manager.ts';
import { type FluxKindDescriptor, fluxKinds } from '../flux/kinds.ts';
import type { Receiver } from '../flux/notification.ts';
import type { ClusterClient } from '../kube/cluster-client.ts';
import { decodeSecretData, type SecretObject } from '../kube/secrets.ts';
import { errorMessage } from '../util/errors.ts';
import type { KubeObject } from '../util/kube-object.ts';
import type { Logger } from '../util/logger.ts';
import { constantTimeEqual, goTimeString, selectResources, validateWebhook, webhookPath } from './receiver-webhook.ts';

const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';
const FIELD_MANAGER = 'notification-controller';

export interface ReceiverSession {
  readonly context: string;
  readonly client: Pick<ClusterClient, 'list' | 'tryGet' | 'patch'>;
  /** The session's watch caches (a ClusterSession): Receivers are read from there when cached. */
  cachedTypes?(): ResourceType[];
  cache?(type: ResourceType): CachedObjects;
}

interface CachedObjects {
  list(): KubeObject[];
  get(namespace: string, name: string): KubeObject | undefined;
}

export interface ReceiverServerOptions {
  /** `HOST:PORT`; port 0 picks a free one. */
  address: string;
  sessions(): ReceiverSession[];
  logger: Logger;
  /** Default 3 MiB (Flux reads whole bodies; GitHub caps payloads at 25 MB, most are small). */
  maxBodyBytes?: number;
  /** Whole-request timeout (default 15 s). */
  requestTimeoutMs?: number;
}

export interface ReceiverServer {
  /** The bound address, `http://host:port`. */
  readonly url: string;
  /** Each handled hook, for the UI and tests. */
  onHook(listener: (h: HookResult) => void): () => void;
  close(): Promise<void>;
}

export interface HookResult {
  cluster?: string;
  receiver?: { namespace: string; name: string };
  status: number;
  message: string;
  annotated: string[];
}

interface Found {
  session: ReceiverSession;
  receiver: Receiver;
  token: string;
}

/** The kinds a Receiver may name (the CRD's enum, less the ones Fluxdeck has no type for). */
const KIND_TYPES: Record<string, FluxKindDescriptor | undefined> = {
  Bucket: fluxKinds.Bucket,
  GitRepository: fluxKinds.GitRepository,
  Kustomization: fluxKinds.Kustomization,
  HelmRelease: fluxKinds.HelmRelease,
  HelmChart: fluxKinds.HelmChart,
  HelmRepository: fluxKinds.HelmRepository,
  OCIRepository: fluxKinds.OCIRepository,
  ImageRepository: fluxKinds.ImageRepository,
  ImagePolicy: fluxKinds.ImagePolicy,
  ImageUpdateAutomation: fluxKinds.ImageUpdateAutomation,
};

export function parseAddress(address: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(address);
  if (!m) throw new Error(`receiver address '${address}' must be HOST:PORT`);
  return { host: (m[1] ?? '').replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', port: Number(m[2]) };
}

export async function startReceiverServer(opts: ReceiverServerOptions): Promise<ReceiverServer> {
  const maxBody = opts.maxBodyBytes ?? 3 * 1024 * 1024;
  const listeners = new Set<(h: HookResult) => void>();
  const report = (res: ServerResponse, h: HookResult): void => {
    res.writeHead(h.status, { 'Content-Type': 'text/plain' }).end(h.message);
    for (const l of listeners) l(h);
  };
  const server: Server = createServer((req, res) => {
    handle(req, opts, maxBody)
      .then((h) => report(res, h))
      .catch((err: unknown) => report(res, { status: 500, message: errorMessage(err), annotated: [] }));
  });
  server.requestTimeout = opts.requestTimeoutMs ?? 15_000;
  server.headersTimeout = Math.min(server.requestTimeout, 10_000);
  const { host, port } = parseAddress(opts.address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${shownHost}:${bound.port}`,
    onHook(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function handle(req: IncomingMessage, opts: ReceiverServerOptions, maxBody: number): Promise<HookResult> {
  const path = (req.url ?? '').split('?')[0] ?? '';
  if (!path.startsWith('/hook/')) return { status: 404, message: 'not found', annotated: [] };
  if (req.method !== 'POST') return { status: 405, message: 'method not allowed', annotated: [] };
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBody) return { status: 413, message: 'request body too large', annotated: [] };
  const body = await readBody(req, maxBody);
  if (!body) return { status: 413, message: 'request body too large', annotated: [] };
  const found = await findReceiver(opts, path);
  if (!found) return { status: 404, message: 'receiver not found', annotated: [] };
  const { session, receiver, token } = found;
  const id = { namespace: receiver.metadata.namespace ?? '', name: receiver.metadata.name ?? '' };
  const base = { cluster: session.context, receiver: id };
  if (receiver.spec.suspend) return { ...base, status: 503, message: 'receiver is suspended', annotated: [] };
  const verdict = validateWebhook(receiver, { headers: req.headers, body }, token);
  if (!verdict.ok) {
    opts.logger.info('webhook refused', { ...id, cluster: session.context, reason: verdict.message });
    return { ...base, status: verdict.status, message: verdict.message, annotated: [] };
  }
  if (!verdict.reconcile) return { ...base, status: 200, message: verdict.note ?? 'ok', annotated: [] };
  const annotated = await annotate(session, receiver, opts.logger);
  return { ...base, status: 200, message: 'ok', annotated };
}

/**
 * The objects a resource reference may name: from the session's watch cache when it keeps the kind (a hook then
 * costs one API call, the patch), else read from the API.
 */
async function candidatesOf(
  session: ReceiverSession,
  type: FluxKindDescriptor,
  namespace: string,
  name: string,
): Promise<KubeObject[]> {
  const cached = cacheOf(session, type);
  if (cached) {
    const all =
      name === '*' ? cached.list().filter((o) => o.metadata.namespace === namespace) : [cached.get(namespace, name)];
    return all.filter((o): o is KubeObject => o !== undefined).map((o) => ({ ...o, kind: type.kind }));
  }
  if (name === '*') return (await session.client.list(type, { namespace }).catch(() => undefined))?.items ?? [];
  const one = await session.client
    .tryGet({ apiVersion: type.apiVersion, kind: type.kind, namespace, name })
    .catch(() => undefined);
  return one ? [{ ...one, kind: type.kind }] : [];
}

function cacheOf(session: ReceiverSession, type: ResourceType): CachedObjects | undefined {
  const cached = session.cachedTypes?.().some((t) => t.apiVersion === type.apiVersion && t.kind === type.kind);
  return cached && session.cache ? session.cache({ apiVersion: type.apiVersion, kind: type.kind }) : undefined;
}

/** The Receivers of a session: from its watch cache when it keeps one (the Receiver controller's), else listed. */
async function receiversOf(session: ReceiverSession): Promise<Receiver[]> {
  const cached = cacheOf(session, fluxKinds.Receiver);
  if (cached) return cached.list() as Receiver[];
  return (await session.client.list<Receiver>(fluxKinds.Receiver).catch(() => undefined))?.items ?? [];
}

/**
 * The Receiver serving `path`: as Flux's server, the one whose `status.webhookPath` (written by the Receiver
 * controller, ours or in-cluster Flux's) is the path. The live token must still hash to it, so a rotated Secret
 * retires the old path at once, before the controller has written the new one.
 */
async function findReceiver(opts: ReceiverServerOptions, path: string): Promise<Found | undefined> {
  for (const session of opts.sessions()) {
    for (const receiver of await receiversOf(session)) {
      const ref = receiver.spec.secretRef;
      if (!ref || receiver.status?.webhookPath !== path) continue;
      const namespace = receiver.metadata.namespace ?? '';
      const name = receiver.metadata.name ?? '';
      const secret = await session.client
        .tryGet<SecretObject>({ apiVersion: 'v1', kind: 'Secret', namespace, name: ref.name })
        .catch(() => undefined);
      const token = secret ? decodeSecretData(secret).token : undefined;
      if (token === undefined || !constantTimeEqual(webhookPath(token, name, namespace), path)) continue;
      return { session, receiver, token };
    }
  }
  return undefined;
}

async function annotate(session: ReceiverSession, receiver: Receiver, logger: Logger): Promise<string[]> {
  const done: string[] = [];
  for (const ref of receiver.spec.resources) {
    const type = KIND_TYPES[ref.kind];
    if (!type) continue;
    const namespace = ref.namespace || (receiver.metadata.namespace ?? '');
    const candidates = await candidatesOf(session, type, namespace, ref.name);
    for (const obj of selectResources(receiver, ref, candidates)) {
      const name = obj.metadata.name ?? '';
      try {
        await session.client.patch(
          { apiVersion: type.apiVersion, kind: type.kind, namespace, name },
          { metadata: { annotations: { [REQUESTED_AT]: goTimeString() } } },
          'merge',
          { fieldManager: FIELD_MANAGER },
        );
        done.push(`${ref.kind}/${namespace}/${name}`);
      } catch (err) {
        logger.warn('could not annotate', { kind: ref.kind, namespace, name, error: errorMessage(err) });
      }
    }
  }
  return done;
}
