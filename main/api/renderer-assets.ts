/**
 * Serving the built renderer (out/renderer), shared by `fluxdeck serve` and the Electron `fluxdeck://` protocol:
 * URL paths map to files inside the root only, with the content type and security headers every response carries.
 */
import { extname, join, normalize, sep } from 'node:path';

/**
 * The renderer's Content-Security-Policy, sent as a header and injected into index.html's meta tag at build time
 * (electron.vite.config.ts). No 'unsafe-eval' anywhere; styles allow inline because React Flow and Monaco position
 * elements with style attributes; workers come from the app itself (layout, Monaco).
 */
const POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
];

export const RENDERER_CSP = [...POLICY, "frame-ancestors 'none'"].join('; ');

/** The same policy for index.html's meta tag, where browsers ignore (and warn about) frame-ancestors. */
export const RENDERER_CSP_META = POLICY.join('; ');

/** Headers for every renderer response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': RENDERER_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

export function contentTypeOf(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file under `root` that a URL path names (`/` is index.html), or undefined if the path is malformed or would
 * leave the root (`..`, encoded separators, NUL bytes).
 */
export function resolveAsset(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const rel = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const full = normalize(join(root, rel));
  const base = normalize(root.endsWith(sep) ? root : root + sep);
  return full.startsWith(base) ? full : undefined;
}
