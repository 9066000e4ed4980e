/**
 * The one Monaco editor of the editor view. Tabs swap models in and out of it (each keeps its cursor and scroll as
 * view state); the models themselves live in models.ts. Ctrl/Cmd+S saves a file tab, or applies an object tab.
 */
import type * as MonacoApi from 'monaco-editor/editor/editor.api.js';
import { useEffect, useRef, useState } from 'react';

import { fire } from '../../store/actions.ts';
import { useAppStore } from '../../store/index.ts';
import { saveTab } from './actions.ts';
import { modelOf, takeReveal } from './models.ts';
import { loadMonaco } from './monaco.ts';

type Editor = MonacoApi.editor.IStandaloneCodeEditor;

export function CodeEditor(props: { tabId: string | undefined; ready: boolean }): React.JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<Editor | undefined>(undefined);
  const current = useRef<string | undefined>(undefined);
  const viewStates = useRef(new Map<string, MonacoApi.editor.ICodeEditorViewState | null>());
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const revealRequest = useAppStore((s) => s.revealRequest);

  useEffect(() => {
    let disposed = false;
    loadMonaco().then(
      ({ monaco }) => {
        if (disposed || !host.current) return;
        const ed = monaco.editor.create(host.current, {
          model: null,
          theme: 'fluxdeck',
          automaticLayout: true,
          minimap: { enabled: false },
          fontSize: 12.5,
          lineNumbersMinChars: 3,
          scrollBeyondLastLine: false,
          tabSize: 2,
          insertSpaces: true,
          renderWhitespace: 'boundary',
          fixedOverflowWidgets: true,
          quickSuggestions: { other: true, comments: false, strings: true },
        });
        ed.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => {
          if (current.current !== undefined) fire(saveTab(current.current));
        });
        editor.current = ed;
        setLoaded(true);
      },
      (err: unknown) => setError(`The editor could not load: ${String(err)}`),
    );
    return () => {
      disposed = true;
      // Models belong to their tabs: detach before disposing the editor so they survive it.
      editor.current?.setModel(null);
      editor.current?.dispose();
      editor.current = undefined;
    };
  }, []);

  // Swap the tab's model in, keeping each tab's cursor and scroll position.
  useEffect(() => {
    const ed = editor.current;
    if (!ed || !loaded) return;
    const prev = current.current;
    if (prev !== undefined && ed.getModel()) viewStates.current.set(prev, ed.saveViewState());
    const model = props.tabId === undefined || !props.ready ? null : (modelOf(props.tabId) ?? null);
    if (ed.getModel() !== model) ed.setModel(model);
    current.current = model ? props.tabId : undefined;
    if (model && props.tabId !== undefined) {
      const state = viewStates.current.get(props.tabId);
      if (state) ed.restoreViewState(state);
      ed.focus();
    }
  }, [props.tabId, props.ready, loaded]);

  // A problem clicked in the review: put the cursor on it.
  useEffect(() => {
    const ed = editor.current;
    if (!ed || props.tabId === undefined || !props.ready) return;
    const at = takeReveal(props.tabId);
    if (!at) return;
    ed.setPosition({ lineNumber: at.line, column: at.column });
    ed.revealLineInCenter(at.line);
    ed.focus();
  }, [revealRequest, props.tabId, props.ready, loaded]);

  if (error) return <p className="error-text editor__empty">{error}</p>;
  return <div className="code" ref={host} data-testid="code-editor" />;
}
