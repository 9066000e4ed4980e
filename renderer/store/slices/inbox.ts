import type { StateCreator } from 'zustand';

import type { DriftRecord, InboxCounts, InboxItem, MuteRule, Severity } from '../../../main/contract/index.ts';
import type { AppState } from '../index.ts';

/** The inbox view's filter: `open` hides acknowledged items, `unread` shows unread ones only, `all` everything. */
export interface InboxViewFilter {
  cluster: string;
  kind: string;
  severity: Severity | '';
  text: string;
  state: 'open' | 'unread' | 'all';
}

export const DEFAULT_INBOX_FILTER: InboxViewFilter = { cluster: '', kind: '', severity: '', text: '', state: 'open' };

export interface DriftState {
  nodeId: string;
  status: 'loading' | 'ready' | 'error';
  records: DriftRecord[];
  error?: string;
}

export interface InboxSlice {
  inboxCounts: InboxCounts;
  inboxMutes: MuteRule[];
  /** Items seen, by id (the list's and the selected one's). */
  inboxItems: Record<number, InboxItem>;
  /** The list for the current filter, newest activity first. */
  inboxOrder: number[];
  /** How many items match the filter in main (the list holds the first page). */
  inboxTotal: number;
  inboxFilter: InboxViewFilter;
  inboxStatus: 'idle' | 'loading' | 'ready' | 'error';
  inboxError: string | undefined;
  inboxSelected: number | undefined;
  /** The selected object's corrected drifts (the panel's Drift tab). */
  drift: DriftState | undefined;
}

export const createInboxSlice: StateCreator<AppState, [], [], InboxSlice> = () => ({
  inboxCounts: { unread: 0, unreadErrors: 0, unreadByCluster: {} },
  inboxMutes: [],
  inboxItems: {},
  inboxOrder: [],
  inboxTotal: 0,
  inboxFilter: DEFAULT_INBOX_FILTER,
  inboxStatus: 'idle',
  inboxError: undefined,
  inboxSelected: undefined,
  drift: undefined,
});
