/**
 * A read-only side-by-side diff of one object: live (left) against what applying would make of it (right), both
 * as main masked them. The diff editor and its two models are this component's and go with it.
 */
import type * as MonacoApi from 'monaco-editor/editor/editor.api.js';
import { useEffect, useRef, useState } from 'react';

import { loadMonaco, type Monaco } from './monaco.ts';

export function DiffEditor(props: { live: string; desired: string }): React.JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const monacoRef = useRef<Monaco | undefined>(undefined);
  const editor = useRef<MonacoApi.editor.IStandaloneDiffEditor | undefined>(undefined);
  const [ready, setReady] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    let disposed = false;
    loadMonaco().then(
      ({ monaco }) => {
        if (disposed || !host.current) return;
        monacoRef.current = monaco;
        editor.current = monaco.editor.createDiffEditor(host.current, {
          theme: 'fluxdeck',
          readOnly: true,
          originalEditable: false,
          automaticLayout: true,
          renderSideBySide: true,
          minimap: { enabled: false },
          fontSize: 12,
          lineNumbersMinChars: 3,
          scrollBeyondLastLine: false,
          hideUnchangedRegions: { enabled: true, contextLineCount: 3, minimumLineCount: 4 },
          renderOverviewRuler: false,
        });
        setReady(true);
      },
      (err: unknown) => setError(`The diff viewer could not load: ${String(err)}`),
    );
    return () => {
      disposed = true;
      const ed = editor.current;
      const models = ed?.getModel();
      ed?.setModel(null);
      ed?.dispose();
      models?.original.dispose();
      models?.modified.dispose();
      editor.current = undefined;
    };
  }, []);

  useEffect(() => {
    const monaco = monacoRef.current;
    const ed = editor.current;
    if (!ready || !monaco || !ed) return;
    const old = ed.getModel();
    ed.setModel({
      original: monaco.editor.createModel(props.live, 'yaml'),
      modified: monaco.editor.createModel(props.desired, 'yaml'),
    });
    old?.original.dispose();
    old?.modified.dispose();
  }, [ready, props.live, props.desired]);

  if (error)
    return (
      <pre className="yaml-fallback">
        {props.live}
        {'\n---\n'}
        {props.desired}
      </pre>
    );
  return <div className="diff-editor" ref={host} data-testid="diff-editor" />;
}
