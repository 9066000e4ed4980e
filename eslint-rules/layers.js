// A local ESLint rule enforcing ARCHITECTURE.md rule 0 (dependencies point down) on resolved paths, not import
// strings: `../api/x.ts` means main/controllers/api from main/controllers/kustomization/ but main/api from
// main/controllers/, and only resolving the path tells them apart.
import { dirname, relative, resolve, sep } from 'node:path';

/** Layers of main/, lowest first. A folder may import its own layer's folder and any folder of a lower layer. */
export const mainLayers = [
  ['contract'],
  ['util'],
  ['kube', 'sources', 'kustomize', 'helm', 'images', 'registry'],
  ['engine'],
  ['controllers', 'notify'],
  ['create-fluxdeck'],
  ['api', 'cli', 'headless', 'electron'],
];

/** Libraries of this layer index are independent of each other (they share code through main/util). */
const INDEPENDENT_LAYER = 2;

function layerOf(folder) {
  return mainLayers.findIndex((l) => l.includes(folder));
}

/** The top folder under main/ of an absolute path ('create-fluxdeck' for main/create-fluxdeck.ts), or undefined. */
function mainFolder(root, file) {
  const rel = relative(resolve(root, 'main'), file);
  if (rel.startsWith('..')) return undefined;
  const [first] = rel.split(sep);
  return first?.replace(/\.ts$/, '');
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'main/ layers import only downwards; sibling libraries do not import each other' },
    schema: [],
  },
  create(context) {
    const root = context.cwd;
    const from = mainFolder(root, context.filename);
    if (from === undefined || layerOf(from) < 0) return {};
    const fromLayer = layerOf(from);
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const to = mainFolder(root, resolve(dirname(context.filename), source));
      if (to === undefined || to === from) return;
      const toLayer = layerOf(to);
      if (toLayer < 0) return;
      if (toLayer > fromLayer) {
        context.report({
          node,
          message: `main/${from} must not import main/${to}: dependencies point down (ARCHITECTURE.md rule 0).`,
        });
      } else if (toLayer === fromLayer && fromLayer === INDEPENDENT_LAYER) {
        context.report({
          node,
          message: `main/${from} and main/${to} are independent libraries; share code through main/util.`,
        });
      } else if (toLayer === fromLayer && fromLayer !== mainLayers.length - 1) {
        context.report({ node, message: `main/${from} must not import its sibling main/${to}.` });
      }
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};
