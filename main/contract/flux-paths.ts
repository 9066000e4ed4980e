/**
 * Flux's `spec.path` as main and the renderer both read it (a pure module of the contract, so the editor's "which
 * Kustomizations does this file touch" and the engine's builds agree).
 */

/** `spec.path` relative to the source's root, without `./` or a trailing slash: '' for the root (`./`, `.`, unset). */
export function kustomizationDir(path: string | undefined): string {
  return (path ?? '')
    .replace(/^\.?\/+/, '')
    .replace(/\/+$/, '')
    .replace(/^\.$/, '');
}

/** True if `file` (relative to the source's root) is inside the Kustomization's `spec.path` (`./apps/` and `apps` alike). */
export function insidePath(specPath: string | undefined, file: string): boolean {
  const dir = kustomizationDir(specPath);
  return dir === '' || file === dir || file.startsWith(`${dir}/`);
}
