import { describeFluxRef, resume, setSuspended } from '../../controllers/requests/flux-requests.ts';
import { namespaceOf, openFromFlags, parseCommand } from '../cluster-flags.ts';
import { type Command, UsageError } from '../command.ts';
import { kindFromWords } from '../kind-words.ts';

export const suspendCommand: Command = {
  name: 'suspend',
  summary: 'Suspend reconciling an object (flux suspend)',
  usage: 'fluxdeck suspend (source git|kustomization|helmrelease|receiver|...) NAME [--reason TEXT] [-n NS]',
  run: async (args, io) => {
    const { flags, values, positionals } = parseCommand(args, { reason: { type: 'string' } });
    const { kind, rest } = kindFromWords(positionals, 'suspend');
    if (!rest[0]) throw new UsageError(`suspend ${kind.kind}: NAME is required`);
    const client = await openFromFlags(flags);
    try {
      const ref = { kind, namespace: namespaceOf(flags), name: rest[0] };
      await setSuspended(client, ref, true, { reason: values.reason as string | undefined, signal: io.signal });
      io.err(`✔ ${describeFluxRef(ref)} suspended\n`);
      return 0;
    } finally {
      client.close();
    }
  },
};

export const resumeCommand: Command = {
  name: 'resume',
  summary: 'Resume a suspended object and wait for its reconcile (flux resume)',
  usage: 'fluxdeck resume (source git|kustomization|helmrelease|receiver|...) NAME [-n NS] [--timeout 5m]',
  run: async (args, io) => {
    const { flags, positionals } = parseCommand(args, {});
    const { kind, rest } = kindFromWords(positionals, 'resume');
    if (!rest[0]) throw new UsageError(`resume ${kind.kind}: NAME is required`);
    const client = await openFromFlags(flags);
    try {
      const ref = { kind, namespace: namespaceOf(flags), name: rest[0] };
      const result = await resume(client, ref, {
        timeoutMs: flags.timeoutMs,
        signal: io.signal,
        progress: (m) => io.err(`► ${m}\n`),
      });
      if (!result.ready) {
        io.err(`✗ ${describeFluxRef(ref)} reconciliation failed: ${result.message}\n`);
        return 1;
      }
      io.err(`✔ ${describeFluxRef(ref)} resumed and reconciled: ${result.message}\n`);
      return 0;
    } finally {
      client.close();
    }
  },
};
