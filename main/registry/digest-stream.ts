/**
 * A pass-through stream that hashes and counts what goes through it and fails at the end when the bytes do not hash
 * to the expected digest, and as soon as they exceed the expected size or the limit. A consumer that writes to a
 * temporary file and renames it only after the stream ends cleanly never keeps a corrupt or truncated blob.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

import { BODY_HIGH_WATER_MARK } from '../util/http-body.ts';
import { RegistryError } from './errors.ts';

export interface DigestCheck {
  digest: string;
  /** Exact size expected (from the descriptor), when known. */
  size?: number;
  /** Fails past this many bytes. */
  maxBytes?: number;
  /** Names the blob in messages. */
  what: string;
}

export function hashOf(algorithm: string, data: Uint8Array): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

export function algorithmOf(digest: string): 'sha256' | 'sha512' {
  const algo = digest.slice(0, digest.indexOf(':'));
  if (algo !== 'sha256' && algo !== 'sha512')
    throw new RegistryError('unsupported', `unsupported digest algorithm in ${digest}`);
  return algo;
}

export class DigestVerifier extends Transform {
  private readonly hash: Hash;
  private readonly check: DigestCheck;
  private bytes = 0;

  constructor(check: DigestCheck) {
    // The body's buffer size on the writable side: a 16 KiB one would bring back the socket pauses it avoids. The
    // readable side keeps the default, or each read would join a megabyte of queued chunks into a new buffer.
    super({ writableHighWaterMark: BODY_HIGH_WATER_MARK });
    this.check = check;
    this.hash = createHash(algorithmOf(check.digest));
  }

  get received(): number {
    return this.bytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    const { size, maxBytes, what } = this.check;
    if (maxBytes !== undefined && this.bytes > maxBytes) {
      done(new RegistryError('too-large', `${what} is larger than the limit of ${maxBytes} bytes`));
      return;
    }
    if (size !== undefined && this.bytes > size) {
      done(new RegistryError('digest-mismatch', `${what} is larger than its descriptor's ${size} bytes`));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const { size, digest, what } = this.check;
    if (size !== undefined && this.bytes !== size) {
      done(new RegistryError('digest-mismatch', `${what} was truncated: ${this.bytes} of ${size} bytes arrived`));
      return;
    }
    const got = `${algorithmOf(digest)}:${this.hash.digest('hex')}`;
    if (got !== digest) {
      done(new RegistryError('digest-mismatch', `${what} does not match its digest: expected ${digest}, got ${got}`));
      return;
    }
    done();
  }
}
