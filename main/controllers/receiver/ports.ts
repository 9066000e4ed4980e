import type { Receiver, ReceiverStatus } from '../../flux/notification.ts';

/** What the Receiver reconciler needs from the world; controller.ts wires it to the cluster client. */
export interface ReceiverPorts {
  /** The decoded data of a Secret, or undefined when it does not exist. */
  secret(namespace: string, name: string, signal: AbortSignal): Promise<Record<string, string> | undefined>;
  writeStatus(receiver: Receiver, status: ReceiverStatus): Promise<void>;
  setFinalizer(receiver: Receiver, present: boolean): Promise<void>;
  event(receiver: Receiver, event: { type: 'Normal' | 'Warning'; reason: string; message: string }): void;
  now(): Date;
}
