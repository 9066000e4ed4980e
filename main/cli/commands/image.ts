import { previewAutomation } from '../../controllers/imageupdateautomation/preview.ts';
import { inPlaceDiff } from '../../images/line-diff.ts';
import { namespaceOf, openFromFlags, parseCommand } from '../cluster-flags.ts';
import { type Command, UsageError } from '../command.ts';

/**
 * `fluxdeck image preview NAME`: the diff the ImageUpdateAutomation's next run would commit, computed in a
 * throw-away clone with the same policies, markers and branches, without committing or pushing anything.
 */
export const imageCommand: Command = {
  name: 'image',
  summary: 'Preview what an ImageUpdateAutomation would commit next (no commit, no push)',
  usage: 'fluxdeck image preview NAME [-n NS] [--kubeconfig F] [--context C]',
  run: async (args, io) => {
    const { flags, positionals } = parseCommand(args, {});
    const [verb, name] = positionals;
    if (verb !== 'preview') throw new UsageError(`image: unknown verb '${verb ?? ''}'; use: image preview NAME`);
    if (!name) throw new UsageError('image preview: NAME is required');
    const client = await openFromFlags(flags);
    try {
      const p = await previewAutomation(client, { namespace: namespaceOf(flags), name }, io.signal);
      for (const s of p.run.skipped) io.err(`✗ skipped ${s}\n`);
      for (const n of p.run.notes) io.err(`! ${n}\n`);
      if (p.run.edits.length === 0) {
        io.err(`✔ nothing to commit: ${p.url} branch ${p.branch} at ${p.head.slice(0, 12)} is up to date\n`);
        return 0;
      }
      for (const e of p.run.edits) io.out(inPlaceDiff(e.path, e.before, e.after));
      const n = p.run.edits.length;
      io.err(`► ${n} file${n === 1 ? '' : 's'} would change on ${p.branch} (from ${p.head.slice(0, 12)}); nothing was committed\n`);
      return 0;
    } finally {
      client.close();
    }
  },
};
