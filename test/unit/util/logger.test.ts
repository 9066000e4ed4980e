import { describe, expect, it } from 'vitest';

import { createLogger, redact } from '../../../main/util/logger.ts';

describe('logger', () => {
  it('redacts values under secret-looking keys at any depth', () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l) }, 'debug');
    log.info('auth', {
      user: 'alice',
      password: 'hunter2',
      nested: { bearerToken: 't', ok: 1 },
      list: [{ secret: 'x' }],
    });
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(rec).toMatchObject({
      msg: 'auth',
      user: 'alice',
      password: '[redacted]',
      nested: { bearerToken: '[redacted]', ok: 1 },
      list: [{ secret: '[redacted]' }],
    });
    expect(lines[0]).not.toContain('hunter2');
  });

  it('drops lines below its level and carries child fields', () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l) }, 'warn').child({ cluster: 'prod' });
    log.info('quiet');
    log.warn('loud');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', msg: 'loud', cluster: 'prod' });
  });

  it('keeps the cause chain of errors', () => {
    const err = new Error('apply failed', { cause: new Error('connection refused') });
    expect(redact({ err })).toEqual({ err: { message: 'apply failed', cause: { message: 'connection refused' } } });
  });
});
