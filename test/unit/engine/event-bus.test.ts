import { describe, expect, it } from 'vitest';

import { DisposableStore } from '../../../main/engine/disposables.ts';
import { EventBus } from '../../../main/engine/event-bus.ts';

interface Events {
  reconciled: { key: string; ok: boolean };
  connected: { cluster: string };
}

describe('EventBus', () => {
  it('delivers typed events to listeners of their type and to any-listeners', () => {
    const bus = new EventBus<Events>();
    const got: string[] = [];
    bus.on('reconciled', (e) => got.push(`r:${e.key}:${e.ok}`));
    bus.onAny((e) => got.push(`any:${e.type}`));
    bus.emit('reconciled', { key: 'a', ok: true });
    bus.emit('connected', { cluster: 'prod' });
    expect(got).toEqual(['r:a:true', 'any:reconciled', 'any:connected']);
  });

  it('unsubscribes, and isolates a throwing listener', () => {
    const errors: unknown[] = [];
    const bus = new EventBus<Events>((e) => errors.push(e));
    const got: string[] = [];
    bus.on('connected', () => {
      throw new Error('bad listener');
    });
    const off = bus.on('connected', (e) => got.push(e.cluster));
    bus.emit('connected', { cluster: 'a' });
    off();
    bus.emit('connected', { cluster: 'b' });
    expect(got).toEqual(['a']);
    expect(errors).toHaveLength(2);
  });
});

describe('DisposableStore', () => {
  it('disposes in reverse order, collects errors, and runs late registrations at once', async () => {
    const store = new DisposableStore();
    const order: string[] = [];
    store.add(() => void order.push('first'));
    store.add(() => {
      throw new Error('fails');
    });
    store.add(async () => {
      await Promise.resolve();
      order.push('last');
    });
    await expect(store.dispose()).rejects.toThrow('1 disposer(s) failed');
    expect(order).toEqual(['last', 'first']);
    store.add(() => void order.push('late'));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['last', 'first', 'late']);
  });
});
