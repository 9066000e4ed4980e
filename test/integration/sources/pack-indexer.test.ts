import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { indexPack, PackIndexer } from '../../../main/sources/git/pack-indexer.ts';

const exec = promisify(execFile);
let dir: string;
let pack: string;

/** A pack as a server sends it: several MB (many read-ahead windows) and deltas against bases elsewhere in it. */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fluxdeck-pack-'));
  const work = join(dir, 'work');
  const git = (...args: string[]): Promise<{ stdout: string }> =>
    exec('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.test', '-C', work, ...args], {
      maxBuffer: 64 << 20,
    });
  await exec('git', ['init', '--quiet', work]);
  const files = Array.from({ length: 400 }, (_, i) => randomBytes(4000 + i * 20).toString('base64'));
  for (let v = 0; v < 3; v++) {
    for (const [i, text] of files.entries()) await writeFile(join(work, `f${i}.txt`), `${text}\nversion ${v}\n`);
    await git('add', '--all');
    await git('commit', '--quiet', '-m', `v${v}`);
  }
  const objects = (await git('rev-list', '--objects', 'HEAD')).stdout;
  const base = join(dir, 'test');
  const p = execFile('git', ['-C', work, 'pack-objects', '--quiet', base]);
  p.stdin!.end(objects);
  const name = await new Promise<string>((resolve, reject) => {
    let out = '';
    p.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    p.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`pack-objects ${code}`))));
  });
  pack = `${base}-${name}.pack`;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('indexPack', () => {
  it('writes the same .idx as git index-pack, and sees every object with its id', async () => {
    const ours = join(dir, 'ours.idx');
    const seen = new Map<string, string>();
    const res = indexPack(pack, ours, undefined, (oid, type) => seen.set(oid, type));
    const listed = (await exec('git', ['verify-pack', '-v', pack.replace(/\.pack$/, '.idx')])).stdout;
    const deltas = listed.split('\n').filter((l) => /^[0-9a-f]{40} \w+ +\d+ \d+ \d+ \d+ [0-9a-f]{40}$/.test(l));
    expect(deltas.length).toBeGreaterThan(100);
    expect(res.objects).toBe(seen.size);
    expect(statSync(pack).size).toBeGreaterThan(2 << 20);
    expect(await readFile(ours)).toEqual(await readFile(pack.replace(/\.pack$/, '.idx')));
  });

  it('indexes the same pack pushed in chunks of any size', async () => {
    const data = await readFile(pack);
    const expected = await readFile(pack.replace(/\.pack$/, '.idx'));
    // Chunk sizes that split headers, zlib streams and the trailing checksum: single bytes, odd sizes, whole megabytes.
    for (const sizes of [[1, 7, 31], [4096], [65_519, 13], [1 << 20]]) {
      const indexer = new PackIndexer();
      let at = 0;
      for (let i = 0; at < data.length; i++) {
        // Byte-sized chunks only over the first 64 kB, so the test stays quick.
        const size = at < 65_536 ? (sizes[i % sizes.length] ?? 1) : 65_536;
        indexer.push(data.subarray(at, at + size));
        at += size;
      }
      const ours = join(dir, `chunks-${sizes.join('-')}.idx`);
      expect(indexer.finish(pack, ours).objects).toBeGreaterThan(1000);
      expect(await readFile(ours)).toEqual(expected);
    }
  });

  it('refuses a pack with a damaged byte or cut short', async () => {
    const data = await readFile(pack);
    const flipped = Buffer.from(data);
    const at = Math.floor(data.length / 2);
    flipped[at] = (data[at] ?? 0) ^ 0xff;
    await writeFile(join(dir, 'flipped.pack'), flipped);
    expect(() => indexPack(join(dir, 'flipped.pack'), join(dir, 'flipped.idx'))).toThrow(/checksum does not match/);
    await writeFile(join(dir, 'short.pack'), data.subarray(0, data.length - 5000));
    expect(() => indexPack(join(dir, 'short.pack'), join(dir, 'short.idx'))).toThrow(/checksum does not match/);
    // A pack with its checksum right but a byte more after it (a server appending to the stream) is refused too.
    await writeFile(join(dir, 'long.pack'), Buffer.concat([data, Buffer.from([0])]));
    expect(() => indexPack(join(dir, 'long.pack'), join(dir, 'long.idx'))).toThrow();
  });
});
