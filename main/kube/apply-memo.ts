import { createHash } from 'node:crypto';

import type { KubeObject } from '../util/kube-object.ts';
import type { ManagedFieldsEntry } from './managed-fields.ts';
import type { RestMapper } from './rest-mapper.ts';

/**
 * Remembers, per object, "applying desired state D to live state L changed nothing" (the last dry-run verdict, or
 * the state our own apply produced). When a later apply meets the same D and the same L, the dry-run is skipped: the
 * apiserver would compute the same result. That makes a no-op reconcile cost one LIST per kind instead of one dry-run
 * per object.
 *
 * L is fingerprinted without `status`, `resourceVersion` and managedFields timestamps, so controllers writing status
 * (a Deployment's replica counts) do not invalidate it, but any change to spec, labels, annotations or field
 * ownership does. Entries expire, and all of them are dropped when the cluster's API surface changes (CRDs installed
 * or updated), because new schema defaults or webhooks could change a dry-run result without touching the object.
 */
export interface MemoOptions {
  ttlMs?: number;
  now?: () => number;
}

interface Entry {
  desired: string;
  live: string;
  at: number;
  generation: number;
}

const MAX_ENTRIES = 50_000;

export class ApplyMemo {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #mapper: RestMapper;

  constructor(mapper: RestMapper, opts: MemoOptions = {}) {
    this.#mapper = mapper;
    this.#ttlMs = opts.ttlMs ?? 30 * 60_000;
    this.#now = opts.now ?? Date.now;
  }

  /** True when `desiredHash` was last found in sync with exactly this live state. */
  inSync(key: string, desiredHash: string, live: KubeObject): boolean {
    const e = this.#entries.get(key);
    if (!e) return false;
    if (e.generation !== this.#mapper.generation || this.#now() - e.at > this.#ttlMs) {
      this.#entries.delete(key);
      return false;
    }
    return e.desired === desiredHash && e.live === liveFingerprint(live);
  }

  record(key: string, desiredHash: string, live: KubeObject): void {
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
    this.#entries.set(key, {
      desired: desiredHash,
      live: liveFingerprint(live),
      at: this.#now(),
      generation: this.#mapper.generation,
    });
  }

  forget(key: string): void {
    this.#entries.delete(key);
  }
}

const memos = new WeakMap<RestMapper, ApplyMemo>();

/** One memo per cluster (the mapper is shared by every view of a cluster client, impersonating ones included). */
export function memoFor(mapper: RestMapper): ApplyMemo {
  let m = memos.get(mapper);
  if (!m) {
    m = new ApplyMemo(mapper);
    memos.set(mapper, m);
  }
  return m;
}

/** JSON with object keys sorted, so the same object read through GET, LIST or an apply answer hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function desiredHash(fieldManager: string, desired: KubeObject): string {
  return createHash('sha1').update(fieldManager).update('\0').update(canonicalJson(desired)).digest('base64');
}

/** The live state that matters to an apply: everything but status, resourceVersion and managedFields timestamps. */
export function liveFingerprint(live: KubeObject): string {
  const { status: _status, metadata, ...rest } = live;
  const { resourceVersion: _rv, managedFields, ...meta } = metadata;
  const fields = ((managedFields ?? []) as ManagedFieldsEntry[])
    .filter((e) => e.subresource !== 'status')
    .map((e) => [e.manager, e.operation, e.apiVersion, e.fieldsV1]);
  return createHash('sha1')
    .update(canonicalJson([meta, rest, fields]))
    .digest('base64');
}
