/**
 * OS notifications for new errors in the inbox, through main/notify's notifier (throttled: at most one per interval,
 * what arrives meanwhile grouped into one summary). Clicking one opens the window on the inbox with those items.
 */
import { Notification } from 'electron';

import { createNotifier, type InboxItem, type Notifier, type OsNotification } from '../notify/index.ts';
import type { Logger } from '../util/logger.ts';
import type { InboxPort } from '../workbench/index.ts';

export interface NotificationOptions {
  inbox: Pick<InboxPort, 'onChange'>;
  /** The user clicked a notification about these items (newest first). */
  onClick(itemIds: number[]): void;
  logger: Logger;
  intervalMs?: number;
  /** Which new items notify (the user's filter in the Notifications view). */
  allows?: (item: InboxItem) => boolean;
}

export function startNotifications(opts: NotificationOptions): Notifier | undefined {
  if (!Notification.isSupported()) {
    opts.logger.info('this desktop has no notification service: new errors show in the inbox and the tray only');
    return undefined;
  }
  const show = (n: OsNotification): void => {
    const notification = new Notification({
      title: n.title,
      body: n.body,
      urgency: n.severity === 'error' ? 'critical' : 'normal',
    });
    notification.on('click', () => opts.onClick(n.itemIds));
    notification.show();
  };
  return createNotifier({
    inbox: opts.inbox,
    show,
    ...(opts.intervalMs !== undefined && { intervalMs: opts.intervalMs }),
    ...(opts.allows && { allows: opts.allows }),
  });
}
