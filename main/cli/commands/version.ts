import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { appRoot } from '../../util/paths.ts';
import type { Command } from '../command.ts';

export const versionCommand: Command = {
  name: 'version',
  summary: 'Print the Fluxdeck version',
  usage: 'fluxdeck version',
  run: (_args, io) => {
    const pkg = JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version: string };
    io.out(`fluxdeck ${pkg.version} (node ${process.versions.node})\n`);
    return Promise.resolve(0);
  },
};
