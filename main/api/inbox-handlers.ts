/**
 * The inbox's requests: list with filters, read / acknowledge / mute, the notice of a moved-aside database, and the
 * drift an object had corrected (for its panel).
 */
import type { DriftRecord, InboxItem, ObjectKey } from '../contract/index.ts';
import type { Workbench } from '../workbench/index.ts';
import type { Handlers } from './router.ts';

type InboxHandlers = Pick<
  Handlers,
  | 'inbox:list'
  | 'inbox:state'
  | 'inbox:markRead'
  | 'inbox:acknowledge'
  | 'inbox:mute'
  | 'inbox:unmute'
  | 'inbox:dismissNotice'
  | 'inbox:drift'
>;

/** Drift items looked at for one object's panel: the newest, enough for any realistic history. */
const DRIFT_ITEMS = 200;

const FLUX_KUSTOMIZE = 'kustomize.toolkit.fluxcd.io';

/**
 * The corrected drifts of one object, newest first: for a Kustomization, everything it put back; for any other
 * object, each time a Kustomization put that object back.
 */
export function driftRecords(items: readonly InboxItem[], key: ObjectKey): DriftRecord[] {
  const isKustomization = key.kind === 'Kustomization' && key.group === FLUX_KUSTOMIZE;
  const out: DriftRecord[] = [];
  for (const item of items) {
    if (item.rule !== 'drift-corrected' || item.cluster !== key.cluster || !item.object) continue;
    const by = item.object;
    const byThis =
      isKustomization && by.kind === 'Kustomization' && by.namespace === key.namespace && by.name === key.name;
    for (const object of item.drift ?? []) {
      const r = object.ref;
      const aboutThis =
        r.group === key.group && r.kind === key.kind && r.namespace === key.namespace && r.name === key.name;
      if (!byThis && !aboutThis) continue;
      out.push({
        itemId: item.id,
        cluster: item.cluster,
        by,
        at: item.lastSeen,
        count: item.count,
        ...(item.revision !== undefined && { revision: item.revision }),
        object,
      });
    }
  }
  return out.sort((a, b) => b.at.localeCompare(a.at));
}

export function inboxHandlers(port: Workbench): InboxHandlers {
  const { inbox } = port;
  return {
    'inbox:list': ({ filter }) => Promise.resolve(inbox.list(filter)),
    'inbox:state': () => {
      const notice = port.inboxNotice();
      return Promise.resolve({ counts: inbox.counts(), mutes: inbox.mutes(), ...(notice !== undefined && { notice }) });
    },
    'inbox:markRead': ({ ids, read }) => Promise.resolve({ changed: inbox.markRead(ids, read) }),
    'inbox:acknowledge': ({ ids, acknowledged }) => Promise.resolve({ changed: inbox.acknowledge(ids, acknowledged) }),
    'inbox:mute': ({ scope }) => Promise.resolve(inbox.mute(scope)),
    'inbox:unmute': ({ id }) => Promise.resolve({ removed: inbox.unmute(id) }),
    'inbox:dismissNotice': () => {
      port.dismissInboxNotice();
      return Promise.resolve({});
    },
    'inbox:drift': ({ key }) => {
      const isKustomization = key.kind === 'Kustomization' && key.group === FLUX_KUSTOMIZE;
      // A Kustomization's own items are found by object; another object's by its name among the drifted objects.
      const page = inbox.list({
        cluster: key.cluster,
        rule: 'drift-corrected',
        limit: DRIFT_ITEMS,
        ...(isKustomization ? { kind: key.kind, namespace: key.namespace, name: key.name } : { text: key.name }),
      });
      return Promise.resolve(driftRecords(page.items, key));
    },
  };
}
