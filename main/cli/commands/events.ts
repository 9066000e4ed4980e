import type { KubeObject } from '../../util/kube-object.ts';
import { namespaceOf, openFromFlags, parseCommand } from '../cluster-flags.ts';
import { type Command, UsageError } from '../command.ts';
import { formatTable } from '../table.ts';

interface KubeEvent extends KubeObject {
  involvedObject?: { apiVersion?: string; kind?: string; name?: string; namespace?: string };
  type?: string;
  reason?: string;
  message?: string;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  firstTimestamp?: string | null;
}

const HEADER = ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'];

/** Events about Flux objects (group `*.toolkit.fluxcd.io`), as `flux events` lists them. */
export function isFluxEvent(e: KubeEvent): boolean {
  const group = (e.involvedObject?.apiVersion ?? '').split('/')[0] ?? '';
  return group.endsWith('.toolkit.fluxcd.io');
}

function when(e: KubeEvent): string {
  return e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '';
}

/** `5s`, `3m`, `2h`, `4d` since the event, as kubectl and flux print ages. */
export function age(iso: string, now: number): string {
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (Number.isNaN(s)) return '<unknown>';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

export function eventRow(e: KubeEvent, now: number, allNamespaces: boolean): string[] {
  const o = e.involvedObject ?? {};
  return [
    ...(allNamespaces ? [o.namespace ?? ''] : []),
    age(when(e), now),
    e.type ?? '',
    e.reason ?? '',
    `${o.kind ?? ''}/${o.name ?? ''}`,
    (e.message ?? '').replaceAll('\n', ' '),
  ];
}

/** `--for Kind/name` as a field selector on the involved object. */
export function forSelector(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = /^([A-Za-z]+)\/([a-z0-9.-]+)$/.exec(value);
  if (!m) throw new UsageError(`--for ${value}: use Kind/name, e.g. --for Kustomization/apps`);
  return `involvedObject.kind=${m[1] ?? ''},involvedObject.name=${m[2] ?? ''}`;
}

export const eventsCommand: Command = {
  name: 'events',
  summary: 'Show the events of Flux objects, oldest first (flux events)',
  usage: 'fluxdeck events [--for Kind/name] [--watch] [-n NS | -A] [--kubeconfig F] [--context C]',
  run: async (args, io) => {
    const { flags, values, positionals } = parseCommand(args, {
      for: { type: 'string' },
      watch: { type: 'boolean', short: 'w' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0] ?? ''}'`);
    const fieldSelector = forSelector(values.for as string | undefined);
    const all = flags.allNamespaces;
    const client = await openFromFlags(flags);
    try {
      const namespace = all ? undefined : namespaceOf(flags);
      const type = { apiVersion: 'v1', kind: 'Event' };
      const list = await client.list<KubeEvent>(type, {
        namespace,
        ...(fieldSelector ? { fieldSelector } : {}),
        signal: io.signal,
      });
      const items = list.items.filter(isFluxEvent).sort((a, b) => when(a).localeCompare(when(b)));
      const header = [...(all ? ['NAMESPACE'] : []), ...HEADER];
      if (items.length === 0 && values.watch !== true) io.err(`no events found in ${namespace ?? 'any namespace'}\n`);
      else
        io.out(
          formatTable(
            header,
            items.map((e) => eventRow(e, Date.now(), all)),
          ),
        );
      if (values.watch !== true) return 0;
      await client
        .watch<KubeEvent>(
          type,
          {
            namespace,
            resourceVersion: list.metadata.resourceVersion,
            ...(fieldSelector ? { fieldSelector } : {}),
            signal: io.signal,
          },
          (w) => {
            if ((w.type === 'ADDED' || w.type === 'MODIFIED') && isFluxEvent(w.object)) {
              io.out(`${eventRow(w.object, Date.now(), all).join('\t')}\n`);
            }
          },
        )
        .catch((err: unknown) => {
          if (!io.signal.aborted) throw err;
        });
      return 0;
    } finally {
      client.close();
    }
  },
};
