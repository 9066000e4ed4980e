import { describe, expect, it } from 'vitest';

import { MemoryArtifact } from '../../../main/sources/artifacts/open-artifact.ts';
import { UnpackedArtifacts } from '../../../main/sources/artifacts/unpacked-artifacts.ts';

/** An unpacker that counts its calls and returns `bytes` of file contents per artifact. */
function fixture(opts: { bytes?: number; maxBytes?: number; idleMs?: number } = {}) {
  const opened: string[] = [];
  const failing = new Set<string>();
  let now = 0;
  const memo = new UnpackedArtifacts(
    async ({ digest }) => {
      opened.push(digest);
      await Promise.resolve();
      if (failing.has(digest)) throw new Error(`cannot read ${digest}`);
      return new MemoryArtifact(new Map([[`${digest}.yaml`, new Uint8Array(opts.bytes ?? 10)]]));
    },
    { maxBytes: opts.maxBytes ?? 100, idleMs: opts.idleMs ?? 1000, now: () => now },
  );
  const open = (digest: string): Promise<MemoryArtifact> => memo.open({ path: `${digest}.tar.gz`, digest });
  return { memo, open, opened, failing, advance: (ms: number) => (now += ms) };
}

describe('UnpackedArtifacts', () => {
  it('unpacks an artifact once for every consumer, those opening it at the same time included', async () => {
    const f = fixture();
    const [a, b] = await Promise.all([f.open('sha256:a'), f.open('sha256:a')]);
    const c = await f.open('sha256:a');
    expect(f.opened).toEqual(['sha256:a']);
    expect(a).toBe(b);
    expect(c).toBe(a);
    expect(f.memo.size).toEqual({ entries: 1, bytes: 10 });
  });

  it('does not keep a failed open: the next one reads again', async () => {
    const f = fixture();
    f.failing.add('sha256:a');
    await expect(f.open('sha256:a')).rejects.toThrow('cannot read sha256:a');
    f.failing.delete('sha256:a');
    await expect(f.open('sha256:a')).resolves.toBeInstanceOf(MemoryArtifact);
    expect(f.opened).toEqual(['sha256:a', 'sha256:a']);
  });

  it('keeps at most maxBytes, dropping the least recently used, and never an artifact larger than that', async () => {
    const f = fixture({ bytes: 40, maxBytes: 100 });
    await f.open('sha256:a');
    await f.open('sha256:b');
    await f.open('sha256:a'); // a is now the most recently used
    await f.open('sha256:c'); // 120 bytes: b goes
    expect(f.memo.size).toEqual({ entries: 2, bytes: 80 });
    await f.open('sha256:a');
    await f.open('sha256:b');
    expect(f.opened).toEqual(['sha256:a', 'sha256:b', 'sha256:c', 'sha256:b']);

    const big = fixture({ bytes: 150, maxBytes: 100 });
    await big.open('sha256:huge');
    await big.open('sha256:huge');
    expect(big.opened).toEqual(['sha256:huge', 'sha256:huge']);
    expect(big.memo.size).toEqual({ entries: 0, bytes: 0 });
  });

  it('drops what was not opened for idleMs', async () => {
    const f = fixture({ idleMs: 1000 });
    await f.open('sha256:a');
    f.advance(600);
    await f.open('sha256:b');
    f.advance(600);
    await f.open('sha256:b'); // a idle for 1,200 ms: dropped; b used 600 ms ago: kept
    expect(f.memo.size).toEqual({ entries: 1, bytes: 10 });
    await f.open('sha256:a');
    expect(f.opened).toEqual(['sha256:a', 'sha256:b', 'sha256:a']);
    f.memo.clear();
    expect(f.memo.size).toEqual({ entries: 0, bytes: 0 });
  });
});
