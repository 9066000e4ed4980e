// `npm run cluster -- up [NAME] [--api-only] [--nodes N]` starts a local control plane and prints its kubeconfig path;
// `npm run cluster -- down [NAME]` stops it; `npm run cluster -- list` shows the running ones.
import { readdir, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { loadState, startCluster, stopLeftovers } from './control-plane.ts';
import { isOurProcess } from './processes.ts';

const root = join(process.env.FLUXDECK_CACHE ?? join(homedir(), '.cache', 'fluxdeck'), 'clusters');

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const flags = rest.filter((a) => a.startsWith('--'));
  const name = rest.find((a, i) => !a.startsWith('--') && !rest[i - 1]?.startsWith('--nodes')) ?? 'default';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    console.error(`cluster name '${name}' must be lowercase letters, digits and dashes`);
    return 2;
  }
  const dir = join(root, name);
  switch (cmd) {
    case 'up': {
      const nodesIdx = rest.indexOf('--nodes');
      const nodes = nodesIdx >= 0 ? Number(rest[nodesIdx + 1]) : 2;
      const c = await startCluster({ name, dir, tier: flags.includes('--api-only') ? 'api' : 'full', nodes });
      console.error(`cluster ${name} is up: ${c.server} (logs in ${join(dir, 'logs')})`);
      console.error(`try: kubectl --kubeconfig ${c.kubeconfig} get nodes`);
      console.log(c.kubeconfig);
      return 0;
    }
    case 'down': {
      const stopped = await stopLeftovers(dir);
      await rm(dir, { recursive: true, force: true });
      console.error(stopped ? `cluster ${name} stopped` : `cluster ${name} was not running`);
      return 0;
    }
    case 'list': {
      const names = await readdir(root).catch(() => [] as string[]);
      for (const n of names) {
        const s = await loadState(join(root, n));
        if (!s) continue;
        const up = Object.values(s.pids).some((p) => isOurProcess(p, s.binDir));
        console.log(`${n}\t${up ? 'running' : 'stopped'}\t${s.server}\t${s.kubeconfig}`);
      }
      return 0;
    }
    default:
      console.error('usage: npm run cluster -- up [NAME] [--api-only] [--nodes N] | down [NAME] | list');
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
