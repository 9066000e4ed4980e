import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { FLUSH, pkt, pktLines } from '../../../main/sources/git/upload-pack-v2.ts';

/** A pkt-line carrying raw bytes (a pack's side-band data). */
const dataPkt = (data: Buffer): Buffer =>
  Buffer.concat([Buffer.from((data.length + 4).toString(16).padStart(4, '0')), data]);

async function collect(chunks: Buffer[]): Promise<(string | Buffer)[]> {
  const out: (string | Buffer)[] = [];
  for await (const line of pktLines(
    (async function* () {
      for (const c of chunks) yield await Promise.resolve(c);
    })(),
  ))
    out.push(typeof line === 'string' ? line : Buffer.from(line));
  return out;
}

const split = (all: Buffer, sizes: number[]): Buffer[] => {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < all.length; i++) {
    const n = sizes[i % sizes.length] ?? 1;
    out.push(all.subarray(at, at + n));
    at += n;
  }
  return out;
};

describe('pktLines', () => {
  const big = randomBytes(65_516);
  const stream = Buffer.concat([
    pkt('version 2\n'),
    Buffer.from('0001'),
    dataPkt(big),
    pkt('x'),
    FLUSH,
    dataPkt(randomBytes(1000)),
    Buffer.from('0002'),
  ]);

  it('cuts the same lines out of a stream however it arrives in chunks', async () => {
    const whole = await collect([stream]);
    expect(whole.map((l) => (typeof l === 'string' ? l : l.length))).toEqual([
      14 - 4,
      'delim',
      65_516,
      1,
      'flush',
      1000,
      'end',
    ]);
    expect(whole[2]).toEqual(big);
    for (const sizes of [[1], [3], [5, 1, 4096], [65_536], [7, 70_000]])
      expect(await collect(split(stream, sizes)), sizes.join(',')).toEqual(whole);
  });

  it('refuses a bad length and a stream that ends inside a line', async () => {
    await expect(collect([Buffer.from('00zzhello')])).rejects.toThrow(/bad pkt-line length '00zz'/);
    await expect(collect([stream.subarray(0, stream.length - 10)])).rejects.toThrow(/ends in the middle of a pkt-line/);
  });
});
