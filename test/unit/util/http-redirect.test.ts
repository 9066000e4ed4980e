import { describe, expect, it } from 'vitest';

import { MAX_REDIRECTS, nextRequest, RedirectError, sameOrigin } from '../../../main/util/http-redirect.ts';

const req = (url: string, headers: Record<string, string> = {}, method = 'GET') => ({
  url: new URL(url),
  method,
  headers,
  credentials: true,
});
const auth = { Authorization: 'Basic dTpw', cookie: 'a=b', 'Proxy-Authorization': 'x', accept: '*/*' };

describe('the shared redirect rule', () => {
  it('keeps credentials on a redirect within the origin', () => {
    const next = nextRequest(req('https://git.example/a', auth), 302, '/b', 0);
    expect(next.url.href).toBe('https://git.example/b');
    expect(next.headers).toEqual(auth);
    expect(next.credentials).toBe(true);
  });

  it.each([
    ['another port', 'http://localhost:8080/a', 'http://localhost:8081/b'],
    ['another host', 'https://git.example/a', 'https://evil.example/b'],
    ['another scheme', 'http://git.example/a', 'https://git.example/b'],
  ])('drops Authorization, cookies and userinfo on a redirect to %s', (_, from, to) => {
    const next = nextRequest(req(from.replace('//', '//u:p@'), auth), 302, to.replace('//', '//x:y@'), 0);
    expect(next.headers).toEqual({ accept: '*/*' });
    expect(next.url.username).toBe('');
    expect(next.url.password).toBe('');
    expect(next.credentials).toBe(false);
  });

  it('does not bring credentials back when a later hop returns to the first origin', () => {
    const away = nextRequest(req('http://localhost:1/a', auth), 302, 'http://localhost:2/b', 0);
    const back = nextRequest(away, 302, 'http://localhost:1/c', 1);
    expect(back.headers).toEqual({ accept: '*/*' });
  });

  it('refuses https to http, even on the same host', () => {
    expect(() => nextRequest(req('https://git.example/a'), 301, 'http://git.example/a', 0)).toThrow(
      expect.objectContaining({ code: 'downgrade' }),
    );
  });

  it('stops after the limit with a typed error', () => {
    expect(() => nextRequest(req('http://h/a'), 302, '/a', MAX_REDIRECTS)).toThrow(RedirectError);
    expect(() => nextRequest(req('http://h/a'), 302, undefined, 0)).toThrow(/without a Location/);
    expect(() => nextRequest(req('http://h/a'), 302, 'file:///etc/passwd', 0)).toThrow(/not followed/);
  });

  it('turns POST into GET on 301/302/303 and keeps it on 307/308', () => {
    const post = req('http://h/a', { 'content-type': 'x', authorization: 'y' }, 'POST');
    expect(nextRequest(post, 302, '/b', 0)).toMatchObject({
      method: 'GET',
      keepBody: false,
      headers: { authorization: 'y' },
    });
    expect(nextRequest(post, 307, '/b', 0)).toMatchObject({ method: 'POST', keepBody: true });
  });

  it('normalises default ports', () => {
    expect(sameOrigin(new URL('https://h/a'), new URL('https://H:443/b'))).toBe(true);
  });
});
