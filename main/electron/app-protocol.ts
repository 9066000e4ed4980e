/**
 * Serves the built renderer from `fluxdeck://app/` instead of file://. A standard, secure custom scheme gives the page
 * a real origin, so module workers (graph layout, Monaco) load under `worker-src 'self'`, the CSP header applies,
 * and the navigation guard can compare origins instead of guessing at file paths.
 */
import { readFile } from 'node:fs/promises';

import { protocol } from 'electron';

import { contentTypeOf, resolveAsset, SECURITY_HEADERS } from '../api/renderer-assets.ts';
import type { Logger } from '../util/logger.ts';

export const APP_SCHEME = 'fluxdeck';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

/** Must run before the app is ready (Electron requirement). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  ]);
}

export async function respondWithAsset(rendererDir: string, requestUrl: string): Promise<Response> {
  const url = new URL(requestUrl);
  if (url.host !== 'app') return new Response('not found', { status: 404, headers: SECURITY_HEADERS });
  const file = resolveAsset(rendererDir, url.pathname);
  const body = file === undefined ? undefined : await readFile(file).catch(() => undefined);
  if (file === undefined || body === undefined)
    return new Response('not found', { status: 404, headers: SECURITY_HEADERS });
  return new Response(body, { status: 200, headers: { ...SECURITY_HEADERS, 'content-type': contentTypeOf(file) } });
}

/** Installs the handler (after ready). Only GET is served; the renderer has nothing to POST to. */
export function serveRenderer(rendererDir: string, logger: Logger): void {
  protocol.handle(APP_SCHEME, (request) => {
    if (request.method !== 'GET') return new Response('method not allowed', { status: 405, headers: SECURITY_HEADERS });
    return respondWithAsset(rendererDir, request.url).catch((err: unknown) => {
      logger.error('could not serve a renderer file', { url: request.url, error: err });
      return new Response('error', { status: 500, headers: SECURITY_HEADERS });
    });
  });
}
