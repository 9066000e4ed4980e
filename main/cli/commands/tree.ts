import { inventoryTree, renderTree } from '../../controllers/requests/inventory-tree.ts';
import { namespaceOf, openFromFlags, parseCommand } from '../cluster-flags.ts';
import { type Command, UsageError } from '../command.ts';
import { kindFromWords } from '../kind-words.ts';

export const treeCommand: Command = {
  name: 'tree',
  summary: 'Print the objects a Kustomization manages, nested Kustomizations expanded (flux tree)',
  usage: 'fluxdeck tree kustomization NAME [-n NS]',
  run: async (args, io) => {
    const { flags, positionals } = parseCommand(args, {});
    const { kind, rest } = kindFromWords(positionals, 'tree');
    if (kind.kind !== 'Kustomization') throw new UsageError('tree: only kustomization is supported');
    if (!rest[0]) throw new UsageError('tree kustomization: NAME is required');
    const client = await openFromFlags(flags);
    try {
      const tree = await inventoryTree(client, { namespace: namespaceOf(flags), name: rest[0] }, io.signal);
      if (tree.note === 'not found') {
        io.err(`✗ Kustomization ${namespaceOf(flags)}/${rest[0]} not found\n`);
        return 1;
      }
      io.out(renderTree(tree));
      return 0;
    } finally {
      client.close();
    }
  },
};
