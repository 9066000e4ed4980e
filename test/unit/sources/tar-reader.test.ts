import { describe, expect, it } from 'vitest';

import { tarEntries, tarEntryBlocks, TarReader, tarTrailer } from '../../../main/sources/artifacts/tar-format.ts';

const longPath = `${'deep/'.repeat(30)}file.yaml`;
const archive = Buffer.concat([
  ...tarEntryBlocks({ path: 'deploy', type: 'dir' }),
  ...tarEntryBlocks({ path: 'deploy/a.yaml', type: 'file' }, Buffer.from('a: 1\n')),
  ...tarEntryBlocks({ path: 'empty.txt', type: 'file' }, Buffer.alloc(0)),
  ...tarEntryBlocks({ path: longPath, type: 'file', executable: true }, Buffer.alloc(1500, 0x61)),
  tarTrailer(),
]);

const summary = (entries: Iterable<{ name: string; typeflag: string; mode: number; data: Buffer }>) =>
  [...entries].map((e) => ({ name: e.name, type: e.typeflag, exec: (e.mode & 0o111) !== 0, data: e.data.toString() }));

/** Feeds the archive in pieces of `size` bytes, collecting what each push completes. */
function readInPieces(tar: Buffer, size: number) {
  const reader = new TarReader();
  const entries = [];
  for (let i = 0; i < tar.length; i += size) entries.push(...reader.push(tar.subarray(i, i + size)));
  reader.end();
  return summary(entries);
}

describe('TarReader', () => {
  const whole = summary(tarEntries(archive));

  it('reads the same entries whole as tarEntries does, long names applied', () => {
    expect(whole.map((e) => e.name)).toEqual(['deploy/', 'deploy/a.yaml', 'empty.txt', longPath]);
    expect(whole[3]?.exec).toBe(true);
    expect(whole[3]?.data).toBe('a'.repeat(1500));
  });

  it.each([1, 7, 511, 512, 513, 1000, 4096])('gives the same entries when bytes arrive %i at a time', (size) => {
    expect(readInPieces(archive, size)).toEqual(whole);
  });

  it('says where an entry was cut off when the bytes stop inside it', () => {
    const cut = archive.subarray(0, 512 * 2 + 3);
    expect(() => readInPieces(cut, 300)).toThrow(/truncated tar: entry at byte 512 runs past the end/);
  });

  it('ignores what follows the end-of-archive block', () => {
    const trailing = Buffer.concat([archive, Buffer.from('garbage after the end')]);
    expect(readInPieces(trailing, 64)).toEqual(whole);
  });
});
