/**
 * A push over smart HTTP (`git-receive-pack`) of objects the caller made itself: it knows exactly which objects are
 * new, so the pack is those and nothing else (isomorphic-git's push walks every tree of the commit and of the remote's
 * head to find them, and cannot send push options). Ref updates are compare-and-swap on the server: each command
 * names the old value it expects, so a branch that moved meanwhile is refused, never overwritten.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

import type { HttpClient } from 'isomorphic-git';

import type { GitObjectType } from './object-store.ts';
import { check, FLUSH, pkt, pktLines } from './upload-pack-v2.ts';

export const ZERO_OID = '0'.repeat(40);

/**
 * A ref update refused because the ref is not where the pusher expected (someone pushed first): git's own words for
 * a non-fast-forward or a failed compare-and-swap.
 */
export const REF_MOVED =
  /non-fast-forward|fetch first|stale info|cannot lock ref|failed to lock|but expected|failed to update ref/i;

export interface GitObjectData {
  type: GitObjectType;
  data: Buffer;
}

/** The object id git gives `data` of `type`. */
export function objectId(obj: GitObjectData): string {
  return createHash('sha1').update(`${obj.type} ${obj.data.length}\0`).update(obj.data).digest('hex');
}

const TYPE_CODES: Record<GitObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };

/** A version 2 packfile of whole (undeltified) objects, with its SHA-1 trailer. */
export function encodePack(objects: readonly GitObjectData[]): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(objects.length, 8);
  parts.push(header);
  for (const { type, data } of objects) {
    // Type and size: 3 bits of type and 4 of size in the first byte, then 7 bits of size per byte.
    const head: number[] = [];
    let size = data.length;
    let byte = (TYPE_CODES[type] << 4) | (size & 0x0f);
    size = Math.floor(size / 16);
    while (size > 0) {
      head.push(byte | 0x80);
      byte = size & 0x7f;
      size = Math.floor(size / 128);
    }
    head.push(byte);
    parts.push(Buffer.from(head), deflateSync(data));
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

export interface RefUpdate {
  /** Full ref name: `refs/heads/main`. */
  ref: string;
  /** What the ref must point at on the server for the update to apply (ZERO_OID: must not exist). */
  old: string;
  new: string;
}

export interface ReceivePackResult {
  /** Per ref: accepted, or the server's reason (`non-fast-forward`, `pre-receive hook declined`, ...). */
  refs: Map<string, { ok: true } | { ok: false; reason: string }>;
  /** What hooks printed (side-band 2), without the `remote: ` prefix. */
  messages: string[];
}

export class PushRefusedError extends Error {
  override readonly name = 'PushRefusedError';
}

/** Where a push goes: the HTTP client, the repository URL, the headers (credentials) of every request. */
export interface PushTarget {
  http: HttpClient;
  url: string;
  headers: Record<string, string>;
}

/** Splits `<oid> <ref>\0<capabilities>` (the capabilities come on the first line only). */
function advertisement(text: string): { oid: string; ref: string; capabilities: string[] } {
  const nul = text.indexOf('\0');
  const [oid = '', ref = ''] = (nul >= 0 ? text.slice(0, nul) : text).split(' ');
  return {
    oid,
    ref,
    capabilities:
      nul >= 0
        ? text
            .slice(nul + 1)
            .split(' ')
            .filter(Boolean)
        : [],
  };
}

/** The refs and capabilities the server advertises for a push. */
export async function advertisedRefs(
  target: PushTarget,
): Promise<{ refs: Map<string, string>; capabilities: Set<string> }> {
  const res = await target.http.request({
    url: `${target.url.replace(/\/$/, '')}/info/refs?service=git-receive-pack`,
    method: 'GET',
    headers: { ...target.headers },
  });
  const refs = new Map<string, string>();
  const capabilities = new Set<string>();
  for await (const line of pktLines(await check(res, 'the push ref advertisement'))) {
    if (typeof line === 'string') continue;
    const text = line.toString('utf8').replace(/\n$/, '');
    if (text.startsWith('# service=')) continue;
    const ad = advertisement(text);
    for (const c of ad.capabilities) capabilities.add(c);
    if (ad.ref && ad.ref !== 'capabilities^{}') refs.set(ad.ref, ad.oid);
  }
  return { refs, capabilities };
}

/**
 * Sends the ref updates with `objects` as the pack, and the push options (`git push -o`) when given: a server that
 * does not advertise `push-options` gets nothing and the push fails, as with the git CLI.
 */
export async function receivePack(
  target: PushTarget & { capabilities: Set<string> },
  req: { updates: RefUpdate[]; objects: readonly GitObjectData[]; options?: readonly string[]; atomic?: boolean },
): Promise<ReceivePackResult> {
  const { http, url, headers, capabilities } = target;
  const options = req.options ?? [];
  if (options.length > 0 && !capabilities.has('push-options'))
    throw new PushRefusedError(`the server does not support push options (git push -o); not pushed`);
  const caps = ['report-status', 'agent=fluxdeck'];
  if (capabilities.has('side-band-64k')) caps.push('side-band-64k');
  if (options.length > 0) caps.push('push-options');
  if (req.atomic && capabilities.has('atomic')) caps.push('atomic');
  const parts: Buffer[] = [];
  req.updates.forEach((u, i) => parts.push(pkt(`${u.old} ${u.new} ${u.ref}${i === 0 ? `\0${caps.join(' ')}` : ''}\n`)));
  parts.push(FLUSH);
  if (options.length > 0) {
    for (const o of options) parts.push(pkt(`${o}\n`));
    parts.push(FLUSH);
  }
  parts.push(encodePack(req.objects));
  const res = await http.request({
    url: `${url.replace(/\/$/, '')}/git-receive-pack`,
    method: 'POST',
    headers: {
      ...headers,
      'content-type': 'application/x-git-receive-pack-request',
      accept: 'application/x-git-receive-pack-result',
    },
    body: (async function* () {
      yield await Promise.resolve(Buffer.concat(parts));
    })(),
  });
  const body = await check(res, 'the push');
  const messages: string[] = [];
  // With side-band, the report is itself pkt-lines inside band 1; without, it is the body.
  let report: Buffer[] = [];
  const sideBand = caps.includes('side-band-64k');
  for await (const line of pktLines(body)) {
    if (typeof line === 'string') continue;
    if (!sideBand) report.push(line);
    else if (line[0] === 1) report.push(line.subarray(1));
    else if (line[0] === 2) messages.push(...splitMessages(line.subarray(1)));
    else if (line[0] === 3)
      throw new PushRefusedError(`the server failed: ${line.subarray(1).toString('utf8').trim()}`);
  }
  if (sideBand) {
    const inner: Buffer[] = [];
    for await (const l of pktLines(
      (async function* () {
        yield await Promise.resolve(Buffer.concat(report));
      })(),
    ))
      if (typeof l !== 'string') inner.push(l);
    report = inner;
  }
  return { refs: parseReport(report.map((b) => b.toString('utf8').replace(/\n$/, ''))), messages };
}

function splitMessages(data: Buffer): string[] {
  return data
    .toString('utf8')
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter(Boolean);
}

function parseReport(lines: string[]): ReceivePackResult['refs'] {
  const unpack = lines.find((l) => l.startsWith('unpack '));
  if (unpack && unpack !== 'unpack ok') throw new PushRefusedError(`the server could not unpack: ${unpack.slice(7)}`);
  const refs: ReceivePackResult['refs'] = new Map();
  for (const l of lines) {
    if (l.startsWith('ok ')) refs.set(l.slice(3), { ok: true });
    else if (l.startsWith('ng ')) {
      const [ref = '', ...why] = l.slice(3).split(' ');
      refs.set(ref, { ok: false, reason: why.join(' ') || 'rejected' });
    }
  }
  return refs;
}
