import { describe, expect, it } from 'vitest';

import { createLogger } from '../../../main/util/logger.ts';
import { displayUrl, redact, scrubText } from '../../../main/util/redact.ts';

const SECRET = 'hunter2-s3cr3t';

describe('redact', () => {
  it('finds secrets by key past any depth, in header pairs, exec env entries and client-key-data', () => {
    let deep: Record<string, unknown> = { password: SECRET };
    for (let i = 0; i < 20; i++) deep = { next: deep };
    const out = JSON.stringify(
      redact({
        deep,
        headers: [['Authorization', `Basic ${Buffer.from(`u:${SECRET}`).toString('base64')}`]],
        exec: {
          env: [
            { name: 'AWS_SECRET_ACCESS_KEY', value: SECRET },
            { name: 'REGION', value: 'eu-west-1' },
          ],
        },
        user: { 'client-key-data': SECRET },
      }),
    );
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(Buffer.from(`u:${SECRET}`).toString('base64'));
    expect(out).toContain('eu-west-1');
  });

  it('scrubs secrets inside text: URL userinfo, bearer values, JWTs, access keys and token parameters', () => {
    const jwt = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.${'x'.repeat(20)}`;
    const text = [
      `fetch https://alice:${SECRET}@git.example.com/repo.git failed`,
      `Authorization: Bearer ${SECRET}`,
      `token ${jwt}`,
      'key AKIAIOSFODNN7EXAMPLE',
      `GET https://api.example.com/x?token=${SECRET}&page=2`,
      `ghp_${'a'.repeat(36)}`,
    ].join('\n');
    const out = scrubText(text);
    for (const leak of [SECRET, jwt, 'AKIAIOSFODNN7EXAMPLE', 'ghp_aaaa']) expect(out).not.toContain(leak);
    expect(out).toContain('git.example.com/repo.git');
    expect(out).toContain('page=2');
  });

  it('never throws: cycles, BigInt and throwing getters', () => {
    const cyclic: Record<string, unknown> = { n: 1n };
    cyclic.self = cyclic;
    const hostile = Object.defineProperty({}, 'boom', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    expect(redact({ cyclic, hostile })).toEqual({ cyclic: { n: '1', self: '[circular]' }, hostile: '[unreadable]' });
    const lines: string[] = [];
    createLogger({ write: (l) => lines.push(l) }).info(`login as https://u:${SECRET}@h`, { cyclic, hostile });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(SECRET);
  });
});

describe('displayUrl', () => {
  it('drops userinfo, query and fragment from a server URL', () => {
    expect(displayUrl(`https://admin:${SECRET}@k8s.example.com:6443/?token=${SECRET}#x`)).toBe(
      'https://k8s.example.com:6443/',
    );
    expect(displayUrl('https://k8s.example.com:6443')).toBe('https://k8s.example.com:6443');
    expect(displayUrl(`not a url ?token=${SECRET}`)).not.toContain(SECRET);
  });
});
