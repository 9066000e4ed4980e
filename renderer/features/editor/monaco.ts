/**
 * Loads Monaco once, on first use (it is large), with the YAML language, the features the editors use, and
 * monaco-yaml for validation, completion and hovers from the cluster's schemas. Editors and models never enter the
 * store (style guide practice 20): they live in the components and in models.ts.
 */
import type * as MonacoApi from 'monaco-editor/editor/editor.api.js';
import type { MonacoYaml } from 'monaco-yaml';

export type Monaco = typeof MonacoApi;

export interface LoadedMonaco {
  monaco: Monaco;
  yaml: MonacoYaml;
}

let loading: Promise<LoadedMonaco> | undefined;

export function loadMonaco(): Promise<LoadedMonaco> {
  loading ??= (async () => {
    const [{ default: EditorWorker }, { default: YamlWorker }] = await Promise.all([
      import('monaco-editor/editor/editor.worker.js?worker'),
      import('./yaml.worker.ts?worker'),
    ]);
    self.MonacoEnvironment = {
      getWorker: (_id: string, label: string) => (label === 'yaml' ? new YamlWorker() : new EditorWorker()),
    };
    const monaco = await import('monaco-editor/editor/editor.api.js');
    await Promise.all([
      import('monaco-editor/languages/definitions/yaml/register.js'),
      import('monaco-editor/features/find/register.js'),
      import('monaco-editor/features/folding/register.js'),
      import('monaco-editor/features/suggest/register.js'),
      import('monaco-editor/features/hover/register.js'),
      import('monaco-editor/features/gotoError/register.js'),
      import('monaco-editor/features/diffEditor/register.js'),
      import('monaco-editor/features/comment/register.js'),
      import('monaco-editor/features/linesOperations/register.js'),
      import('monaco-editor/features/clipboard/register.js'),
      import('monaco-editor/features/contextmenu/register.js'),
      import('monaco-editor/features/wordHighlighter/register.js'),
      import('monaco-editor/features/bracketMatching/register.js'),
      import('monaco-editor/features/indentation/register.js'),
      import('monaco-editor/features/codicon/register.js'),
    ]);
    const [{ configureMonacoYaml }, { createWebWorker }] = await Promise.all([
      import('monaco-yaml'),
      import('monaco-editor/internal/common/workers.js'),
    ]);
    // monaco-yaml (through monaco-worker-manager) still creates its worker with the `{ label, moduleId, createData }`
    // options that monaco-editor 0.57 dropped from `editor.createWebWorker` (it now takes a ready Worker). Monaco's
    // own languages go through this adapter for the same reason; monaco-yaml gets it too.
    const compat = { ...monaco, editor: { ...monaco.editor, createWebWorker } } as unknown as Monaco;
    const yaml = configureMonacoYaml(compat, {
      enableSchemaRequest: false,
      isKubernetes: true,
      completion: true,
      hover: true,
      validate: true,
      format: { enable: false },
      schemas: [],
    });
    monaco.editor.defineTheme('fluxdeck', {
      base: 'vs-dark',
      inherit: true,
      rules: [],
      colors: { 'editor.background': '#0b0f14', 'editorGutter.background': '#0b0f14' },
    });
    return { monaco, yaml };
  })();
  return loading;
}
