import { describe, expect, it } from 'vitest';

import { InFlightLimit } from '../../../main/kube/in-flight-limit.ts';

describe('InFlightLimit', () => {
  it('lets `max` requests through at once and queues the rest', () => {
    const limit = new InFlightLimit(2);
    expect(limit.take()).toBeUndefined();
    expect(limit.take()).toBeUndefined();
    expect(limit.take()).toBeInstanceOf(Promise);
    expect(limit.waiting).toBe(1);
  });

  it('hands a given-back slot to the longest waiting request, in order', async () => {
    const limit = new InFlightLimit(1);
    expect(limit.take()).toBeUndefined();
    const order: string[] = [];
    const a = limit.take()?.then(() => order.push('a'));
    const b = limit.take()?.then(() => order.push('b'));
    limit.give();
    await a;
    expect(order).toEqual(['a']);
    limit.give();
    await b;
    expect(order).toEqual(['a', 'b']);
    // a and b each held the one slot in turn; once b gives it back, the next take gets it at once.
    limit.give();
    expect(limit.take()).toBeUndefined();
    expect(limit.take()).toBeInstanceOf(Promise);
  });
});
