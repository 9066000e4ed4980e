/**
 * Live YAML in a read-only Monaco editor, loaded only when the YAML tab first opens (Monaco is large). The editor and
 * its model live here, never in the store (style guide practice 20); only the text comes from the store.
 */
import { useEffect, useRef, useState } from 'react';

import { loadMonaco, type Monaco } from '../editor/monaco.ts';

export function YamlView(props: { text: string }): React.JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<ReturnType<Monaco['editor']['create']> | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    let disposed = false;
    loadMonaco().then(
      ({ monaco }) => {
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
