/**
 * Live YAML in a read-only Monaco editor, loaded only when the YAML tab first opens (Monaco is large). The editor and
 * its model live here, never in the store (style guide practice 20); only the text comes from the store.
 */
import type * as MonacoApi from 'monaco-editor/editor/editor.api.js';
import { useEffect, useRef, useState } from 'react';

type Monaco = typeof MonacoApi;

let loading: Promise<Monaco> | undefined;

function loadMonaco(): Promise<Monaco> {
  loading ??= (async () => {
    const { default: EditorWorker } = await import('monaco-editor/editor/editor.worker.js?worker');
    self.MonacoEnvironment = { getWorker: () => new EditorWorker() };
    const monaco = await import('monaco-editor/editor/editor.api.js');
    await Promise.all([
      import('monaco-editor/languages/definitions/yaml/register.js'),
      import('monaco-editor/features/find/register.js'),
      import('monaco-editor/features/folding/register.js'),
    ]);
    monaco.editor.defineTheme('fluxdeck', {
      base: 'vs-dark',
      inherit: true,
      rules: [],
      colors: { 'editor.background': '#0b0f14', 'editorGutter.background': '#0b0f14' },
    });
    return monaco;
  })();
  return loading;
}

export function YamlView(props: { text: string }): React.JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<ReturnType<Monaco['editor']['create']> | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    let disposed = false;
    loadMonaco().then(
      (monaco) => {
        if (disposed || !host.current) return;
        editor.current = monaco.editor.create(host.current, {
          value: props.text,
          language: 'yaml',
          theme: 'fluxdeck',
          readOnly: true,
          automaticLayout: true,
          minimap: { enabled: false },
          fontSize: 12,
          lineNumbersMinChars: 3,
          scrollBeyondLastLine: false,
          renderLineHighlight: 'none',
          folding: true,
        });
      },
      (err: unknown) => setError(`The YAML viewer could not load: ${String(err)}`),
    );
    return () => {
      disposed = true;
      editor.current?.getModel()?.dispose();
      editor.current?.dispose();
      editor.current = undefined;
    };
    // The editor is created once; text updates go through setValue below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const ed = editor.current;
    if (ed && ed.getValue() !== props.text) ed.setValue(props.text);
  }, [props.text]);

  if (error) return <pre className="yaml-fallback">{props.text}</pre>;
  return <div className="yaml" ref={host} data-testid="yaml-view" />;
}
