/**
 * Reads objects from a git directory (packs with v2 indexes, and loose objects) with Node's native zlib. isomorphic-git
 * can read the same repository, but it inflates with pako (pure JS) and keeps whole packfiles in memory; building an
 * artifact reads every blob of a tree, which is where that costs most (isomorphic-git#1841, #291). Here a pack is read
 * object by object at its offset (memory stays with the objects actually read), and resolved delta bases sit in a
 * small LRU cache. Synchronous on purpose: it runs inside a worker thread.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';

export type GitObjectType = 'commit' | 'tree' | 'blob' | 'tag';

export interface GitObject {
  type: GitObjectType;
  data: Buffer;
}

const TYPES: Record<number, GitObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };
const OFS_DELTA = 6;
const REF_DELTA = 7;

interface Pack {
  name: string;
  fd: number;
  size: number;
  count: number;
  fanout: Uint32Array;
  names: Buffer;
  offsets: Float64Array;
  /** Offsets in ascending order, to find where each object's bytes end. */
  sorted: Float64Array;
}

export class ObjectStore {
  private readonly gitdir: string;
  private readonly packs: Pack[] = [];
  private readonly cache = new Map<string, GitObject>();
  private cacheBytes = 0;
  private readonly cacheLimit: number;

  constructor(gitdir: string, opts: { cacheBytes?: number } = {}) {
    this.gitdir = gitdir;
    this.cacheLimit = opts.cacheBytes ?? 16 * 1024 * 1024;
    const dir = join(gitdir, 'objects', 'pack');
    const idxs = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.idx')) : [];
    for (const idx of idxs.sort()) this.packs.push(openPack(dir, idx.slice(0, -4)));
  }

  /** Releases the pack file descriptors. */
  close(): void {
    for (const p of this.packs) closeSync(p.fd);
    this.packs.length = 0;
    this.cache.clear();
  }

  has(oid: string): boolean {
    return this.locate(oid) !== undefined || existsSync(this.loosePath(oid));
  }

  read(oid: string): GitObject {
    const where = this.locate(oid);
    if (where) return this.readPacked(where.pack, where.offset);
    const loose = this.loosePath(oid);
    if (!existsSync(loose)) throw new Error(`object ${oid} is missing from ${this.gitdir}`);
    return parseLoose(oid, inflateSync(readFileSync(loose)));
  }

  /** Reads an object and checks its type. */
  readTyped(oid: string, type: GitObjectType): Buffer {
    const obj = this.read(oid);
    if (obj.type !== type) throw new Error(`object ${oid} is a ${obj.type}, expected a ${type}`);
    return obj.data;
  }

  private loosePath(oid: string): string {
    return join(this.gitdir, 'objects', oid.slice(0, 2), oid.slice(2));
  }

  private locate(oid: string): { pack: Pack; offset: number } | undefined {
    if (!/^[0-9a-f]{40}$/.test(oid)) return undefined;
    const key = Buffer.from(oid, 'hex');
    for (const pack of this.packs) {
      const first = key[0] ?? 0;
      let lo = first === 0 ? 0 : (pack.fanout[first - 1] ?? 0);
      let hi = pack.fanout[first] ?? 0;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const c = pack.names.compare(key, 0, 20, mid * 20, mid * 20 + 20);
        if (c === 0) return { pack, offset: pack.offsets[mid] ?? 0 };
        if (c > 0) hi = mid;
        else lo = mid + 1;
      }
    }
    return undefined;
  }

  private readPacked(pack: Pack, offset: number): GitObject {
    const key = `${pack.name}:${offset}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const end = nextOffset(pack, offset);
    const raw = Buffer.allocUnsafe(end - offset);
    readFully(pack.fd, raw, offset);
    let p = 0;
    let b = raw[p++] ?? 0;
    const typeNum = (b >> 4) & 7;
    while (b & 0x80) b = raw[p++] ?? 0;
    let obj: GitObject;
    if (typeNum === OFS_DELTA) {
      b = raw[p++] ?? 0;
      let rel = b & 0x7f;
      while (b & 0x80) {
        b = raw[p++] ?? 0;
        rel = (rel + 1) * 128 + (b & 0x7f);
      }
      const base = this.readPacked(pack, offset - rel);
      obj = { type: base.type, data: applyDelta(base.data, inflateSync(raw.subarray(p))) };
    } else if (typeNum === REF_DELTA) {
      const baseOid = raw.toString('hex', p, p + 20);
      const base = this.read(baseOid);
      obj = { type: base.type, data: applyDelta(base.data, inflateSync(raw.subarray(p + 20))) };
    } else {
      const type = TYPES[typeNum];
      if (!type) throw new Error(`pack ${pack.name}: unknown object type ${typeNum} at offset ${offset}`);
      obj = { type, data: inflateSync(raw.subarray(p)) };
    }
    this.remember(key, obj);
    return obj;
  }

  /** Keeps trees and delta bases around; large blobs are not worth the memory. */
  private remember(key: string, obj: GitObject): void {
    if (obj.data.length > this.cacheLimit / 8) return;
    this.cache.set(key, obj);
    this.cacheBytes += obj.data.length;
    for (const [k, v] of this.cache) {
      if (this.cacheBytes <= this.cacheLimit) break;
      this.cache.delete(k);
      this.cacheBytes -= v.data.length;
    }
  }
}

function openPack(dir: string, name: string): Pack {
  const idx = readFileSync(join(dir, `${name}.idx`));
  if (idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) {
    throw new Error(`${name}.idx is not a version 2 pack index`);
  }
  const fanout = new Uint32Array(256);
  for (let i = 0; i < 256; i++) fanout[i] = idx.readUInt32BE(8 + i * 4);
  const count = fanout[255] ?? 0;
  const namesAt = 8 + 256 * 4;
  const offAt = namesAt + count * 24;
  const bigAt = offAt + count * 4;
  const offsets = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const o = idx.readUInt32BE(offAt + i * 4);
    offsets[i] = o & 0x80000000 ? Number(idx.readBigUInt64BE(bigAt + (o & 0x7fffffff) * 8)) : o;
  }
  const fd = openSync(join(dir, `${name}.pack`), 'r');
  const size = fstatSync(fd).size;
  const sorted = Float64Array.from(offsets).sort();
  return { name, fd, size, count, fanout, names: idx.subarray(namesAt, namesAt + count * 20), offsets, sorted };
}

function nextOffset(pack: Pack, offset: number): number {
  let lo = 0;
  let hi = pack.sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((pack.sorted[mid] ?? 0) <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo < pack.sorted.length ? (pack.sorted[lo] ?? 0) : pack.size - 20;
}

function readFully(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) throw new Error(`unexpected end of pack at offset ${position + done}`);
    done += n;
  }
}

function parseLoose(oid: string, raw: Buffer): GitObject {
  const sp = raw.indexOf(0x20);
  const nul = raw.indexOf(0, sp);
  const type = raw.toString('latin1', 0, sp) as GitObjectType;
  if (!['commit', 'tree', 'blob', 'tag'].includes(type) || nul < 0) throw new Error(`loose object ${oid} is corrupt`);
  return { type, data: raw.subarray(nul + 1) };
}

/** Applies a git delta (copy/insert instructions) to its base. */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  let p = 0;
  const varint = (): number => {
    let v = 0;
    let shift = 0;
    let b: number;
    do {
      b = delta[p++] ?? 0;
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return v;
  };
  const baseSize = varint();
  if (baseSize !== base.length) throw new Error(`delta expects a base of ${baseSize} bytes, got ${base.length}`);
  const out = Buffer.allocUnsafe(varint());
  let o = 0;
  while (p < delta.length) {
    const op = delta[p++] ?? 0;
    if (op & 0x80) {
      let off = 0;
      let len = 0;
      if (op & 0x01) off |= delta[p++] ?? 0;
      if (op & 0x02) off |= (delta[p++] ?? 0) << 8;
      if (op & 0x04) off |= (delta[p++] ?? 0) << 16;
      if (op & 0x08) off = (off | ((delta[p++] ?? 0) << 24)) >>> 0;
      if (op & 0x10) len |= delta[p++] ?? 0;
      if (op & 0x20) len |= (delta[p++] ?? 0) << 8;
      if (op & 0x40) len |= (delta[p++] ?? 0) << 16;
      if (len === 0) len = 0x10000;
      if (off + len > base.length || o + len > out.length) throw new Error('delta copies past the end of its base');
      base.copy(out, o, off, off + len);
      o += len;
    } else if (op > 0) {
      if (o + op > out.length) throw new Error('delta inserts past the end of its result');
      delta.copy(out, o, p, p + op);
      o += op;
      p += op;
    } else {
      throw new Error('delta has a reserved zero opcode');
    }
  }
  if (o !== out.length) throw new Error('delta result is shorter than announced');
  return out;
}

export interface TreeEntry {
  name: string;
  /** Git mode: '100644', '100755', '120000' (symlink), '40000' (tree), '160000' (submodule). */
  mode: string;
  oid: string;
}

export function parseTree(data: Buffer): TreeEntry[] {
  const out: TreeEntry[] = [];
  let p = 0;
  while (p < data.length) {
    const sp = data.indexOf(0x20, p);
    const nul = data.indexOf(0, sp);
    if (sp < 0 || nul < 0 || nul + 21 > data.length) throw new Error('corrupt tree object');
    out.push({
      mode: data.toString('latin1', p, sp),
      name: data.toString('utf8', sp + 1, nul),
      oid: data.toString('hex', nul + 1, nul + 21),
    });
    p = nul + 21;
  }
  return out;
}

export interface CommitInfo {
  tree: string;
  parents: string[];
  message: string;
  committerTime: number;
}

export function parseCommit(data: Buffer): CommitInfo {
  const text = data.toString('utf8');
  const split = text.indexOf('\n\n');
  const head = split < 0 ? text : text.slice(0, split);
  const message = split < 0 ? '' : text.slice(split + 2);
  let tree = '';
  const parents: string[] = [];
  let committerTime = 0;
  for (const line of head.split('\n')) {
    if (line.startsWith('tree ')) tree = line.slice(5);
    else if (line.startsWith('parent ')) parents.push(line.slice(7));
    else if (line.startsWith('committer ')) committerTime = Number(/ (\d+) [+-]\d{4}$/.exec(line)?.[1] ?? 0);
  }
  if (!/^[0-9a-f]{40}$/.test(tree)) throw new Error('corrupt commit object: no tree');
  return { tree, parents, message, committerTime };
}

/** The object an annotated tag points at. */
export function parseTagTarget(data: Buffer): string {
  const m = /^object ([0-9a-f]{40})$/m.exec(data.toString('utf8'));
  if (!m) throw new Error('corrupt tag object: no target');
  return m[1] ?? '';
}

/** Follows annotated tags down to the commit they point at. */
export function peelToCommit(store: ObjectStore, oid: string): string {
  let current = oid;
  for (let depth = 0; depth < 10; depth++) {
    const obj = store.read(current);
    if (obj.type === 'commit') return current;
    if (obj.type !== 'tag') throw new Error(`${oid} points at a ${obj.type}, not a commit`);
    current = parseTagTarget(obj.data);
  }
  throw new Error(`tag chain from ${oid} is too deep`);
}
