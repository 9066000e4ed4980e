import { getCondition } from '../../flux/conditions.ts';
import type { FluxStatus } from '../../flux/meta.ts';
import type { KubeObject } from '../../util/kube-object.ts';
import { namespaceOf, openFromFlags, parseCommand } from '../cluster-flags.ts';
import type { Command } from '../command.ts';
import { kindFromWords } from '../kind-words.ts';
import { formatTable } from '../table.ts';

type Flux = KubeObject & {
  spec?: { suspend?: boolean };
  status?: FluxStatus & {
    artifact?: { revision?: string };
    lastAppliedRevision?: string;
    lastAttemptedRevision?: string;
    latestRef?: { name: string; tag: string; digest?: string };
    lastScanResult?: { tagCount: number; scanTime?: string };
    lastPushCommit?: string;
  };
};

/**
 * The revision column as flux prints it: the artifact's for sources, the last applied one for appliers; for the image
 * kinds what `flux get images` shows (the latest image, the scanned tag count, the last pushed commit).
 */
export function revisionOf(obj: Flux): string {
  const s = obj.status;
  if (s?.latestRef)
    return `${s.latestRef.name}:${s.latestRef.tag}${s.latestRef.digest ? `@${s.latestRef.digest}` : ''}`;
  if (s?.lastScanResult) return `${s.lastScanResult.tagCount} tags`;
  if (s?.lastPushCommit) return s.lastPushCommit.slice(0, 12);
  return s?.artifact?.revision ?? s?.lastAppliedRevision ?? s?.lastAttemptedRevision ?? '';
}

export function statusRow(obj: Flux): { ready: string; message: string } {
  // v1beta3 Alerts and Providers are configuration without status: nothing reconciles them.
  if (obj.kind === 'Alert' || obj.kind === 'Provider') return { ready: '-', message: 'configuration (no status)' };
  const ready = getCondition(obj.status?.conditions ?? [], 'Ready');
  return { ready: ready?.status ?? 'Unknown', message: ready?.message ?? 'waiting to be reconciled' };
}

export const getCommand: Command = {
  name: 'get',
  summary: 'List Flux objects with their revision and readiness (flux get)',
  usage:
    'fluxdeck get (sources git|kustomizations|helmreleases|alerts|alert-providers|receivers|...) [NAME] [-n NS | -A] [--kubeconfig F] [--context C]',
  run: async (args, io) => {
    const { flags, positionals } = parseCommand(args, {});
    const { kind, rest } = kindFromWords(positionals, 'get');
    const client = await openFromFlags(flags);
    try {
      const namespace = flags.allNamespaces ? undefined : namespaceOf(flags);
      const list = await client.list<Flux>(
        { apiVersion: kind.apiVersion, kind: kind.kind },
        { namespace, signal: io.signal },
      );
      const items = list.items.filter((o) => rest[0] === undefined || o.metadata.name === rest[0]);
      if (rest[0] !== undefined && items.length === 0) {
        io.err(`✗ ${kind.kind} '${rest[0]}' not found in ${namespace ?? 'any namespace'}\n`);
        return 1;
      }
      if (items.length === 0) {
        io.err(`no ${kind.kind} objects found in ${namespace ?? 'any namespace'}\n`);
        return 0;
      }
      const header = [
        ...(flags.allNamespaces ? ['NAMESPACE'] : []),
        'NAME',
        'REVISION',
        'SUSPENDED',
        'READY',
        'MESSAGE',
      ];
      const rows = items
        .sort((a, b) =>
          `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`.localeCompare(
            `${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`,
          ),
        )
        .map((o) => {
          const s = statusRow(o);
          return [
            ...(flags.allNamespaces ? [o.metadata.namespace ?? ''] : []),
            o.metadata.name ?? '',
            revisionOf(o),
            String(o.spec?.suspend ?? false),
            s.ready,
            s.message.replaceAll('\n', ' '),
          ];
        });
      io.out(formatTable(header, rows));
      return 0;
    } finally {
      client.close();
    }
  },
};
