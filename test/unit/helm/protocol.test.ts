import { describe, expect, it } from 'vitest';

import {
  builderTarget,
  encodeCallbackReply,
  encodeCancel,
  encodeRequest,
  HelmError,
  helperCandidates,
  helperEnv,
  parseHelperLine,
  splitLines,
} from '../../../main/helm/index.ts';

describe('helper protocol lines', () => {
  it('reads the hello line, responses and callbacks', () => {
    expect(parseHelperLine('{"hello":{"protocol":1,"helm":"v4.3.2","go":"go1.26.8"}}')).toEqual({
      kind: 'hello',
      info: { protocol: 1, helm: 'v4.3.2', go: 'go1.26.8' },
    });
    expect(parseHelperLine('{"id":4,"ok":true,"result":{"a":1}}')).toEqual({
      kind: 'response',
      id: 4,
      ok: true,
      result: { a: 1 },
    });
    expect(parseHelperLine('{"callback":{"id":2,"request":4,"kind":"postRender","manifests":"kind: A\\n"}}')).toEqual({
      kind: 'callback',
      id: 2,
      request: 4,
      callback: 'postRender',
      manifests: 'kind: A\n',
    });
  });

  it('turns an error response into a HelmError with its code and string details', () => {
    const msg = parseHelperLine(
      '{"id":7,"ok":false,"error":{"code":"RenderFailed","message":"boom","details":{"template":"t.yaml","n":3}}}',
    );
    expect(msg.kind === 'response' && !msg.ok && msg.error).toBeInstanceOf(HelmError);
    if (msg.kind !== 'response' || msg.ok) throw new Error('expected an error response');
    expect(msg.error.code).toBe('RenderFailed');
    expect(msg.error.message).toBe('boom');
    expect(msg.error.details).toEqual({ template: 't.yaml' });
  });

  it('maps an unknown error code to Internal and never throws on garbage', () => {
    const msg = parseHelperLine('{"id":1,"ok":false,"error":{"code":"Weird","message":"x"}}');
    expect(msg.kind === 'response' && !msg.ok && msg.error.code).toBe('Internal');
    expect(parseHelperLine('not json').kind).toBe('invalid');
    expect(parseHelperLine('[1,2]').kind).toBe('invalid');
    expect(parseHelperLine('{"ok":true}').kind).toBe('invalid');
    expect(parseHelperLine('{"callback":{"id":"x"}}').kind).toBe('invalid');
  });

  it('encodes requests, cancellations and callback replies as single lines', () => {
    expect(encodeRequest(3, 'template', { chart: { path: '/c' } })).toBe(
      '{"id":3,"op":"template","params":{"chart":{"path":"/c"}}}\n',
    );
    expect(encodeCancel(3)).toBe('{"id":0,"op":"$cancel","params":{"id":3}}\n');
    expect(encodeCallbackReply(9, { error: 'bad\npatch' })).toBe(
      '{"id":0,"op":"$callback","params":{"callback":9,"error":"bad\\npatch"}}\n',
    );
  });

  it('splits a stream into complete lines, keeping the unfinished rest', () => {
    expect(splitLines('a\nb\n\nc')).toEqual({ lines: ['a', 'b'], rest: 'c' });
    expect(splitLines('a\n')).toEqual({ lines: ['a'], rest: '' });
    expect(splitLines('')).toEqual({ lines: [], rest: '' });
  });
});

describe('finding the helper', () => {
  const base = { env: {}, resourcesPath: undefined, root: '/app', platform: 'linux' as const, arch: 'x64' };

  it('prefers the override, then the packaged resources, then the dev build', () => {
    expect(helperCandidates({ ...base, env: { FLUXDECK_HELM_HELPER: '/x/h' }, resourcesPath: '/r' })).toEqual(['/x/h']);
    expect(helperCandidates({ ...base, resourcesPath: '/r' })).toEqual([
      '/r/helm/fluxdeck-helm',
      '/app/build/helm-helper/linux-x64/fluxdeck-helm',
    ]);
  });

  it("names targets as electron-builder's ${os}-${arch} and adds .exe on Windows", () => {
    expect(builderTarget('darwin', 'arm64')).toBe('mac-arm64');
    expect(builderTarget('win32', 'x64')).toBe('win-x64');
    expect(helperCandidates({ ...base, platform: 'win32', root: undefined, resourcesPath: 'R' })).toEqual([
      'R/helm/fluxdeck-helm.exe',
    ]);
  });

  it('does not hand the helper ambient credentials', () => {
    const env = helperEnv({ PATH: '/bin', HOME: '/h', KUBECONFIG: '/k', HELM_REGISTRY_CONFIG: '/r', AWS_SECRET: 's' });
    expect(env).toEqual({ PATH: '/bin', HOME: '/h' });
  });
});
