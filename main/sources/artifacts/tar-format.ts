/**
 * The tar format of artifacts, both ways. Writing is deterministic on purpose: uid/gid 0, empty user and group names,
 * mtime 0 and fixed modes (Flux's `sanitizeHeader`: files 0600, executables 0700, directories 0750), so the same tree
 * always gives the same bytes and the same digest. Names longer than ustar allows get a PAX `path` record.
 */

export type TarEntryType = 'file' | 'dir';

export interface TarEntry {
  /** POSIX path relative to the archive root, without a trailing slash. */
  path: string;
  type: TarEntryType;
  executable?: boolean;
}

const BLOCK = 512;
const FILE_MODE = 0o600;
const EXEC_MODE = 0o700;
const DIR_MODE = 0o750;
/** Largest size an 11-digit octal field holds. */
const MAX_OCTAL_SIZE = 0o77777777777;

function writeString(buf: Buffer, offset: number, length: number, value: string): void {
  buf.write(value, offset, Math.min(length, Buffer.byteLength(value)), 'utf8');
}

function writeOctal(buf: Buffer, offset: number, length: number, value: number): void {
  buf.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'latin1');
}

/** Splits a long name into ustar's prefix (≤155 bytes) and name (≤100 bytes) at a '/', if possible. */
function splitUstar(name: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '/') continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '')
      return { prefix, name: rest };
  }
  return undefined;
}

function header(name: string, typeflag: string, mode: number, size: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const split = splitUstar(name);
  writeString(h, 0, 100, split?.name ?? name.slice(0, 100));
  writeOctal(h, 100, 8, mode);
  writeOctal(h, 108, 8, 0);
  writeOctal(h, 116, 8, 0);
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, 0);
  h.write(typeflag, 156, 1, 'latin1');
  h.write('ustar\u000000', 257, 8, 'latin1');
  writeOctal(h, 329, 8, 0);
  writeOctal(h, 337, 8, 0);
  if (split?.prefix) writeString(h, 345, 155, split.prefix);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return h;
}

function padding(size: number): Buffer | undefined {
  const rem = size % BLOCK;
  return rem === 0 ? undefined : Buffer.alloc(BLOCK - rem);
}

/** A PAX extended header carrying the full path, for names ustar cannot hold. */
function paxPath(path: string): Buffer[] {
  const record = (len: number): string => `${len} path=${path}\n`;
  let len = Buffer.byteLength(record(0));
  while (Buffer.byteLength(record(len)) !== len) len = Buffer.byteLength(record(len));
  const body = Buffer.from(record(len));
  const out = [header('PaxHeaders/entry', 'x', 0o644, body.length), body];
  const pad = padding(body.length);
  if (pad) out.push(pad);
  return out;
}

/** The blocks of one entry (header, data, padding). */
export function tarEntryBlocks(entry: TarEntry, data?: Uint8Array): Buffer[] {
  const name = entry.type === 'dir' ? `${entry.path}/` : entry.path;
  const size = entry.type === 'file' ? (data?.length ?? 0) : 0;
  if (size > MAX_OCTAL_SIZE) throw new Error(`'${entry.path}' is larger than 8 GiB, which a tar header cannot record`);
  const out: Buffer[] = splitUstar(name) ? [] : paxPath(name);
  const mode = entry.type === 'dir' ? DIR_MODE : entry.executable ? EXEC_MODE : FILE_MODE;
  out.push(header(name, entry.type === 'dir' ? '5' : '0', mode, size));
  if (size > 0 && data) {
    out.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    const pad = padding(size);
    if (pad) out.push(pad);
  }
  return out;
}

/** Two zero blocks end an archive. */
export function tarTrailer(): Buffer {
  return Buffer.alloc(BLOCK * 2);
}

export interface TarFile {
  path: string;
  data: Uint8Array;
  executable: boolean;
}

/** One tar entry with its long name (pax `path` or GNU `L`) applied; metadata entries are not yielded. */
export interface RawTarEntry {
  name: string;
  typeflag: string;
  mode: number;
  data: Buffer;
}

const FILE_TYPES = new Set(['0', '\0', '7']);

/** True for a regular-file entry (the only kind an artifact's content is read from). */
export const isFileEntry = (e: RawTarEntry): boolean => FILE_TYPES.has(e.typeflag);

const EMPTY = Buffer.alloc(0);

/**
 * Reads tar entries from chunks as they arrive (a gunzip stream's output), so a large layer is never held as one
 * buffer. Entry data are views into the pushed chunks when an entry lies within one chunk, and a copy of just that
 * entry when it spans several. Metadata entries (pax, GNU long names) are applied, not returned. A zero block ends the
 * archive; bytes after it, and a trailing partial block, are ignored as before.
 */
export class TarReader {
  /** Without data, regular files' bytes are skipped, not kept: for a listing that never reads them. */
  private readonly withData: boolean;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private consumed = 0;
  private longName: string | undefined;
  private ended = false;
  private header: { block: Buffer; size: number; at: number } | undefined;

  constructor(opts: { data?: boolean } = {}) {
    this.withData = opts.data ?? true;
  }

  /** Adds bytes; returns the entries they complete. */
  push(chunk: Buffer): RawTarEntry[] {
    if (this.ended) return [];
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: RawTarEntry[] = [];
    for (;;) {
      if (!this.header) {
        if (this.buffered < BLOCK) break;
        const at = this.consumed;
        const block = this.take(BLOCK);
        if (block.every((b) => b === 0)) {
          this.ended = true;
          this.chunks = [];
          this.buffered = 0;
          break;
        }
        this.header = { block, size: parseOctal(block.subarray(124, 136)), at };
      }
      const padded = Math.ceil(this.header.size / BLOCK) * BLOCK;
      if (this.buffered < padded) break;
      const { block } = this.header;
      const skip = !this.withData && FILE_TYPES.has(String.fromCharCode(block[156] ?? 0));
      const data = skip ? this.skip(padded) : this.take(padded).subarray(0, this.header.size);
      const entry = this.entry(block, data);
      this.header = undefined;
      if (entry) out.push(entry);
    }
    return out;
  }

  /** Throws when the bytes stopped inside an entry. */
  end(): void {
    if (this.header) throw new Error(`truncated tar: entry at byte ${this.header.at} runs past the end`);
  }

  private take(n: number): Buffer {
    if (n === 0) return EMPTY;
    this.buffered -= n;
    this.consumed += n;
    const first = this.chunks[0] as Buffer;
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) return this.chunks.shift() as Buffer;
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0] as Buffer;
      const part = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, part);
      filled += part;
      if (part === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(part);
    }
    return out;
  }

  private skip(n: number): Buffer {
    this.buffered -= n;
    this.consumed += n;
    let left = n;
    while (left > 0) {
      const c = this.chunks[0] as Buffer;
      if (c.length > left) {
        this.chunks[0] = c.subarray(left);
        break;
      }
      left -= c.length;
      this.chunks.shift();
    }
    return EMPTY;
  }

  private entry(h: Buffer, data: Buffer): RawTarEntry | undefined {
    const typeflag = String.fromCharCode(h[156] ?? 0);
    if (typeflag === 'x') {
      this.longName = paxRecords(data).get('path') ?? this.longName;
      return undefined;
    }
    if (typeflag === 'L') {
      this.longName = data.toString('utf8').replace(/\0+$/, '');
      return undefined;
    }
    if (typeflag === 'g') return undefined;
    const name = this.longName ?? ustarName(h);
    this.longName = undefined;
    return { name, typeflag, mode: parseOctal(h.subarray(100, 108)), data };
  }
}

/** Walks an uncompressed tar's entries; data are views into `tar`, not copies. */
export function* tarEntries(tar: Uint8Array): Generator<RawTarEntry> {
  const reader = new TarReader();
  yield* reader.push(Buffer.from(tar.buffer, tar.byteOffset, tar.byteLength));
  reader.end();
}

/**
 * Reads an uncompressed tar: regular files only (directories are implied by paths; links and devices are skipped).
 * Paths are normalised; an entry that would land outside the root (absolute, or climbing with '..') is an error.
 */
export function readTar(tar: Uint8Array): TarFile[] {
  const files: TarFile[] = [];
  for (const e of tarEntries(tar)) {
    if (!isFileEntry(e)) continue;
    files.push({ path: safeRelative(e.name), data: e.data, executable: (e.mode & 0o111) !== 0 });
  }
  return files;
}

function ustarName(h: Buffer): string {
  const name = cString(h.subarray(0, 100));
  const magic = h.subarray(257, 263).toString('latin1');
  const prefix = magic.startsWith('ustar') ? cString(h.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString('utf8');
}

function parseOctal(b: Buffer): number {
  // GNU base-256 encoding for big numbers: high bit of the first byte set.
  if ((b[0] ?? 0) & 0x80) {
    let v = 0;
    for (let i = 1; i < b.length; i++) v = v * 256 + (b[i] ?? 0);
    return v;
  }
  const s = cString(b).trim();
  return s === '' ? 0 : Number.parseInt(s, 8);
}

function paxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) break;
    const len = Number.parseInt(data.subarray(i, sp).toString('latin1'), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const rec = data.subarray(sp + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

/** Normalises an archive path; throws if it is absolute or climbs out of the root. */
export function safeRelative(name: string): string {
  const parts: string[] = [];
  if (name.startsWith('/')) throw new Error(`archive entry '${name}' has an absolute path`);
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw new Error(`archive entry '${name}' climbs out of the archive root`);
    parts.push(part);
  }
  return parts.join('/');
}
