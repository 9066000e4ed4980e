/**
 * Indexes a received packfile with Node's native zlib and writes git's `.idx` v2 beside it, so the object store (and
 * isomorphic-git, and git itself) can read it. isomorphic-git's own indexer inflates every object twice with pako;
 * this one inflates each object once to find where it ends and hash it, and resolves deltas through a bounded cache,
 * so memory stays with the cache, not with the pack. The pack's trailing SHA-1 is checked: a corrupt download is an
 * error here, never a half-readable cache.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, writeFileSync } from 'node:fs';
import { crc32, inflateSync } from 'node:zlib';

import { applyDelta, type GitObjectType } from './object-store.ts';

const TYPES: Record<number, GitObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };

interface Entry {
  offset: number;
  end: number;
  type: number;
  /** Where the zlib stream starts. */
  dataAt: number;
  baseOffset?: number;
  baseOid?: string;
  oid?: string;
  resolvedType?: GitObjectType;
  /** CRC-32 of the entry's bytes in the pack (for the index), taken while the scan has them at hand. */
  crc: number;
}

export interface IndexedPack {
  objects: number;
  /** The pack's checksum (its name in objects/pack/pack-<sha>.pack). */
  checksum: string;
}

/** Bytes read ahead at once: a window covers hundreds of small objects. */
const WINDOW = 1 << 20;

/**
 * Reads the pack through a read-ahead window: a pack is read sequentially (the scan, the checksums of the index),
 * then by offset for delta bases. Reading each object's header and data with their own `readSync` was 3 system calls
 * per object (header, data, and again for the index's CRC): ~15,000 for a 5,000-file clone. A read elsewhere (a
 * delta's base) reads just its bytes. What `read` returns may be the window's: valid until the next call (every
 * caller inflates, hashes or parses it at once, or copies it).
 */
class PackFile {
  readonly fd: number;
  readonly size: number;
  private window = Buffer.alloc(0);
  private windowAt = 0;
  /** Bytes of `window` read from the pack (less than its size at the pack's end). */
  private windowLen = 0;
  constructor(path: string) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
  }
  read(at: number, len: number): Buffer {
    const from = at - this.windowAt;
    if (from >= 0 && from + len <= this.windowLen) return this.window.subarray(from, from + len);
    // A large read, or a jump (a delta's base, elsewhere in the pack): read just those bytes.
    if (len >= WINDOW || from < 0 || from > this.windowLen + WINDOW)
      return this.readAt(Buffer.allocUnsafe(len), at, len);
    const fill = Math.min(WINDOW, this.size - at);
    if (fill < len) throw new Error(`pack ends early at byte ${this.size}`);
    if (this.window.length < WINDOW) this.window = Buffer.allocUnsafe(WINDOW);
    this.windowLen = 0;
    this.readAt(this.window, at, fill);
    this.windowAt = at;
    this.windowLen = fill;
    return this.window.subarray(0, len);
  }
  private readAt(buf: Buffer, at: number, len: number): Buffer {
    let done = 0;
    while (done < len) {
      const n = readSync(this.fd, buf, done, len - done, at + done);
      if (n === 0) throw new Error(`pack ends early at byte ${at + done}`);
      done += n;
    }
    return buf;
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** Sees every object of the pack once, inflated and resolved, as the indexer hashes it. */
export type ObjectVisitor = (oid: string, type: GitObjectType, data: Buffer) => void;

/**
 * Indexes `packPath` and writes `idxPath`. `external` resolves delta bases that are not in the pack (thin packs are
 * not requested, so normally never). `onObject` lets a caller keep what it needs of the inflated objects (a clone's
 * checkout its blobs) instead of inflating them a second time.
 */
export function indexPack(
  packPath: string,
  idxPath: string,
  external?: (oid: string) => { type: GitObjectType; data: Buffer } | undefined,
  onObject?: ObjectVisitor,
): IndexedPack {
  const pack = new PackFile(packPath);
  try {
    if (pack.size < 32) throw new Error('the pack is too short');
    const head = pack.read(0, 12);
    if (head.toString('latin1', 0, 4) !== 'PACK' || head.readUInt32BE(4) !== 2)
      throw new Error('not a version 2 packfile');
    const count = head.readUInt32BE(8);
    verifyChecksum(pack);
    const entries = scan(pack, count, onObject);
    const byOffset = new Map(entries.map((e) => [e.offset, e]));
    const resolver = new Resolver(pack, byOffset, external, onObject);
    for (const e of entries) resolver.hash(e);
    const checksum = Buffer.from(pack.read(pack.size - 20, 20));
    writeFileSync(idxPath, buildIdx(entries, pack, checksum));
    return { objects: count, checksum: checksum.toString('hex') };
  } finally {
    pack.close();
  }
}

function verifyChecksum(pack: PackFile): void {
  const hash = createHash('sha1');
  const chunk = 1 << 20;
  for (let at = 0; at < pack.size - 20; at += chunk) hash.update(pack.read(at, Math.min(chunk, pack.size - 20 - at)));
  if (!hash.digest().equals(pack.read(pack.size - 20, 20)))
    throw new Error('the pack checksum does not match: it is corrupt');
}

/** First pass: object headers, and where each compressed stream ends (by inflating it once). */
function scan(pack: PackFile, count: number, onObject: ObjectVisitor | undefined): Entry[] {
  const entries: Entry[] = [];
  let at = 12;
  for (let i = 0; i < count; i++) {
    const head = pack.read(at, Math.min(32, pack.size - 20 - at));
    let p = 0;
    let b = head[p++] ?? 0;
    const type = (b >> 4) & 7;
    let size = b & 15;
    let shift = 4;
    while (b & 0x80) {
      b = head[p++] ?? 0;
      size += (b & 0x7f) * 2 ** shift;
      shift += 7;
    }
    const e: Entry = { offset: at, end: 0, type, dataAt: 0, crc: 0 };
    if (type === 6) {
      b = head[p++] ?? 0;
      let rel = b & 0x7f;
      while (b & 0x80) {
        b = head[p++] ?? 0;
        rel = (rel + 1) * 128 + (b & 0x7f);
      }
      e.baseOffset = at - rel;
    } else if (type === 7) {
      e.baseOid = head.toString('hex', p, p + 20);
      p += 20;
    } else if (!TYPES[type]) {
      throw new Error(`unknown object type ${type} at pack offset ${at}`);
    }
    e.dataAt = at + p;
    // Deflate never grows data by more than a few bytes per block, so this window holds the whole stream; grow it
    // if some encoder proved otherwise.
    for (let len = size + (size >> 6) + 64; ; len *= 2) {
      const avail = Math.min(len, pack.size - 20 - e.dataAt);
      let r: { buffer: Buffer; engine: { bytesWritten: number } } | undefined;
      try {
        r = inflateSync(pack.read(e.dataAt, avail), { info: true }) as unknown as typeof r;
      } catch (err) {
        if (avail < len) throw new Error(`object at pack offset ${at} is corrupt`, { cause: err });
      }
      if (r && r.buffer.length === size) {
        e.end = e.dataAt + r.engine.bytesWritten;
        e.crc = crc32(pack.read(e.offset, e.end - e.offset)) >>> 0;
        identify(e, r.buffer, onObject);
        break;
      }
      if (r || avail < len) throw new Error(`object at pack offset ${at} does not inflate to its ${size} bytes`);
    }
    entries.push(e);
    at = e.end;
  }
  if (at !== pack.size - 20) throw new Error('the pack has trailing bytes after its last object');
  return entries;
}

/** Names a whole (undeltified) object from its inflated data; deltas are named when resolved. */
function identify(e: Entry, data: Buffer, onObject: ObjectVisitor | undefined): void {
  const t = TYPES[e.type];
  if (!t) return;
  e.oid = objectId(t, data);
  e.resolvedType = t;
  onObject?.(e.oid, t, data);
}

function objectId(type: GitObjectType, data: Buffer): string {
  return createHash('sha1').update(`${type} ${data.length}\0`).update(data).digest('hex');
}

/** Second pass: delta objects, resolved through their bases with a bounded cache. */
class Resolver {
  private readonly cache = new Map<number, { type: GitObjectType; data: Buffer }>();
  private cacheBytes = 0;
  private readonly byOid = new Map<string, Entry>();
  private readonly pack: PackFile;
  private readonly byOffset: Map<number, Entry>;
  private readonly external: ((oid: string) => { type: GitObjectType; data: Buffer } | undefined) | undefined;
  private readonly onObject: ObjectVisitor | undefined;

  constructor(
    pack: PackFile,
    byOffset: Map<number, Entry>,
    external: ((oid: string) => { type: GitObjectType; data: Buffer } | undefined) | undefined,
    onObject: ObjectVisitor | undefined,
  ) {
    this.pack = pack;
    this.byOffset = byOffset;
    this.external = external;
    this.onObject = onObject;
    for (const e of byOffset.values()) if (e.oid) this.byOid.set(e.oid, e);
  }

  hash(e: Entry): void {
    if (e.oid) return;
    const obj = this.object(e, 0);
    e.oid = objectId(obj.type, obj.data);
    e.resolvedType = obj.type;
    this.byOid.set(e.oid, e);
    this.onObject?.(e.oid, obj.type, obj.data);
  }

  private object(e: Entry, depth: number): { type: GitObjectType; data: Buffer } {
    const hit = this.cache.get(e.offset);
    if (hit) return hit;
    if (depth > 10_000) throw new Error('delta chain too deep');
    const raw = inflateSync(this.pack.read(e.dataAt, e.end - e.dataAt));
    let obj: { type: GitObjectType; data: Buffer };
    if (e.baseOffset !== undefined) {
      const base = this.byOffset.get(e.baseOffset);
      if (!base) throw new Error(`delta at pack offset ${e.offset} has no base at ${e.baseOffset}`);
      const b = this.object(base, depth + 1);
      obj = { type: b.type, data: applyDelta(b.data, raw) };
    } else if (e.baseOid !== undefined) {
      const inPack = this.byOid.get(e.baseOid) ?? [...this.byOffset.values()].find((x) => x.oid === e.baseOid);
      const b = inPack ? this.object(inPack, depth + 1) : this.external?.(e.baseOid);
      if (!b) throw new Error(`delta at pack offset ${e.offset} needs object ${e.baseOid}, which is missing`);
      obj = { type: b.type, data: applyDelta(b.data, raw) };
    } else {
      obj = { type: TYPES[e.type] ?? 'blob', data: raw };
    }
    this.remember(e.offset, obj);
    return obj;
  }

  private remember(offset: number, obj: { type: GitObjectType; data: Buffer }): void {
    const limit = 32 * 1024 * 1024;
    if (obj.data.length > limit / 8) return;
    this.cache.set(offset, obj);
    this.cacheBytes += obj.data.length;
    for (const [k, v] of this.cache) {
      if (this.cacheBytes <= limit) break;
      this.cache.delete(k);
      this.cacheBytes -= v.data.length;
    }
  }
}

function buildIdx(entries: Entry[], pack: PackFile, packChecksum: Buffer): Buffer {
  const sorted = entries
    .map((e) => ({ ...e, oid: e.oid ?? '' }))
    .sort((a, b) => (a.oid < b.oid ? -1 : a.oid > b.oid ? 1 : 0));
  const n = sorted.length;
  const large = sorted.filter((e) => e.offset >= 0x80000000);
  const buf = Buffer.alloc(8 + 256 * 4 + n * 28 + large.length * 8 + 40);
  buf.writeUInt32BE(0xff744f63, 0);
  buf.writeUInt32BE(2, 4);
  const fanout = new Uint32Array(256);
  for (const e of sorted) {
    const first = Number.parseInt(e.oid.slice(0, 2), 16);
    fanout[first] = (fanout[first] ?? 0) + 1;
  }
  let acc = 0;
  for (let i = 0; i < 256; i++) {
    acc += fanout[i] ?? 0;
    buf.writeUInt32BE(acc, 8 + i * 4);
  }
  const namesAt = 8 + 256 * 4;
  const crcAt = namesAt + n * 20;
  const offAt = crcAt + n * 4;
  const bigAt = offAt + n * 4;
  let big = 0;
  sorted.forEach((e, i) => {
    buf.write(e.oid, namesAt + i * 20, 'hex');
    buf.writeUInt32BE(e.crc, crcAt + i * 4);
    if (e.offset >= 0x80000000) {
      buf.writeUInt32BE((0x80000000 | big) >>> 0, offAt + i * 4);
      buf.writeBigUInt64BE(BigInt(e.offset), bigAt + big * 8);
      big++;
    } else {
      buf.writeUInt32BE(e.offset, offAt + i * 4);
    }
  });
  const tail = bigAt + big * 8;
  packChecksum.copy(buf, tail);
  createHash('sha1')
    .update(buf.subarray(0, tail + 20))
    .digest()
    .copy(buf, tail + 20);
  return buf;
}
