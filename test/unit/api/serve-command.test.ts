import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseCommand } from '../../../main/cli/cluster-flags.ts';
import { UsageError } from '../../../main/cli/command.ts';
import { createServeCommand, isLoopback, serveFlagOptions } from '../../../main/cli/commands/serve.ts';
import { silentLogger } from '../../../main/util/logger.ts';
import { clusterInfo, createMemoryEngine, type MemoryEngine } from '../../support/memory-engine.ts';

describe('fluxdeck serve', () => {
  let rendererDir: string;
  beforeAll(async () => {
    rendererDir = await mkdtemp(join(tmpdir(), 'fluxdeck-serve-'));
    await writeFile(join(rendererDir, 'index.html'), '<title>Fluxdeck</title>');
  });
  afterAll(() => rm(rendererDir, { recursive: true, force: true }));

  function start(args: string[]): {
    engine: MemoryEngine;
    out: string[];
    err: string[];
    stop: () => void;
    done: Promise<number>;
  } {
    const engine = createMemoryEngine();
    engine.putCluster(clusterInfo('prod'));
    const out: string[] = [];
    const err: string[] = [];
    const aborter = new AbortController();
    // The in-memory engine behind the same flags as the real one (`fluxdeck run`'s plus serve's own).
    const cmd = createServeCommand({
      startEngine: (argv) => {
        const { values } = parseCommand(argv, { ...serveFlagOptions, context: { type: 'string', multiple: true } });
        const contexts = (values.context as string[] | undefined) ?? [];
        return Promise.resolve({
          engine,
          values,
          logger: silentLogger,
          connect: async () => {
            for (const c of contexts) await engine.connect(c);
            return contexts.length;
          },
          quiet: () => undefined,
        });
      },
    });
    const done = cmd.run([...args, '--renderer-dir', rendererDir], {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      signal: aborter.signal,
    });
    return { engine, out, err, stop: () => aborter.abort(), done };
  }

  it('serves on loopback with a token URL, connects the contexts asked for, and stops the engine on Ctrl-C', async () => {
    const s = start(['--context', 'prod']);
    await expect.poll(() => s.out.join('')).toMatch(/serving on http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}/);
    const url = /http:\/\/\S+/.exec(s.out.join(''))?.[0] ?? '';
    const login = await fetch(url, { redirect: 'manual' });
    expect(login.status).toBe(303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const page = await fetch(new URL('/', url), { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Fluxdeck');
    expect(s.engine.calls).toContainEqual({ method: 'connect', cluster: 'prod' });
    s.stop();
    expect(await s.done).toBe(0);
    expect(s.engine.closed).toBe(true);
    await expect(fetch(url)).rejects.toThrow();
  });

  it('still stops the engine when connecting fails', async () => {
    const s = start(['--context', 'nope']);
    await expect(s.done).rejects.toThrow(/nope/);
    expect(s.engine.closed).toBe(true);
  });

  it('refuses a wildcard bind in any spelling, and a bad port', async () => {
    for (const host of ['0.0.0.0', '0', '::', '::0', '[::]', '0:0:0:0:0:0:0:0'])
      await expect(start(['--host', host]).done).rejects.toBeInstanceOf(UsageError);
    await expect(start(['--port', '70000']).done).rejects.toBeInstanceOf(UsageError);
  });
});

describe('serve hosts', () => {
  it('recognises loopback however it is written, and nothing else', () => {
    for (const h of ['127.0.0.1', '127.1', 'localhost', '::1', '[::1]', '127.0.0.2', '0x7f.1'])
      expect(isLoopback(h), h).toBe(true);
    for (const h of ['192.168.1.2', 'example.com', '::ffff:8.8.8.8', '10.0.0.1']) expect(isLoopback(h), h).toBe(false);
  });
});
