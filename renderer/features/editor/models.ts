/**
 * The editor's Monaco models, one per tab, kept here and never in the store (style guide practice 20). The store
 * holds what the UI shows about them: the dirty flag (the model's version differs from the one last saved) and the
 * number of errors Monaco marks (YAML syntax and the cluster's schemas).
 */
import type * as MonacoApi from 'monaco-editor/editor/editor.api.js';

import { updateTab } from '../../store/editor-reducers.ts';
import { useAppStore } from '../../store/index.ts';
import { loadMonaco } from './monaco.ts';
import { forgetSchemas, trackSchemas } from './schemas.ts';

type TextModel = MonacoApi.editor.ITextModel;

interface Entry {
  model: TextModel;
  /** The alternative version id when last loaded or saved: undo back to it and the tab is clean again. */
  saved: number;
  subscriptions: MonacoApi.IDisposable[];
}

const entries = new Map<string, Entry>();
let markerWatch: MonacoApi.IDisposable | undefined;

const setTab = (tabId: string, patch: { dirty?: boolean; errors?: number }): void =>
  useAppStore.setState((s) => ({ tabs: updateTab(s.tabs, tabId, patch) }));

function tabOfUri(uri: string): string | undefined {
  for (const [tabId, e] of entries) if (e.model.uri.toString() === uri) return tabId;
  return undefined;
}

/**
 * Creates the model of a tab. `name` ends the model's URI (a file name) so Monaco and monaco-yaml see a YAML file;
 * `cluster` is where its schemas come from.
 */
export async function createModel(tabId: string, text: string, name: string, cluster: string): Promise<TextModel> {
  const { monaco } = await loadMonaco();
  const existing = entries.get(tabId);
  if (existing) return existing.model;
  markerWatch ??= monaco.editor.onDidChangeMarkers((uris) => {
    for (const uri of uris) {
      const tabId = tabOfUri(uri.toString());
      if (tabId === undefined) continue;
      const errors = monaco.editor
        .getModelMarkers({ resource: uri })
        .filter((m) => m.severity === monaco.MarkerSeverity.Error).length;
      setTab(tabId, { errors });
    }
  });
  const uri = monaco.Uri.from({ scheme: 'fluxdeck', path: `/${encodeURIComponent(tabId)}/${name}` });
  const model = monaco.editor.createModel(text, 'yaml', uri);
  const entry: Entry = { model, saved: model.getAlternativeVersionId(), subscriptions: [] };
  entry.subscriptions.push(
    model.onDidChangeContent(() => setTab(tabId, { dirty: model.getAlternativeVersionId() !== entry.saved })),
    trackSchemas(model, cluster),
  );
  entries.set(tabId, entry);
  return model;
}

export function modelOf(tabId: string): TextModel | undefined {
  return entries.get(tabId)?.model;
}

export function textOf(tabId: string): string | undefined {
  return entries.get(tabId)?.model.getValue();
}

/** The tab's text was saved (or applied): it is clean until the next edit. */
export function markSaved(tabId: string, savedText?: string): void {
  const e = entries.get(tabId);
  if (!e) return;
  if (savedText !== undefined && e.model.getValue() !== savedText) return;
  e.saved = e.model.getAlternativeVersionId();
  setTab(tabId, { dirty: false });
}

/** Replaces the text with what is on disk or in the cluster now (after an abort or a reload); clean afterwards. */
export function replaceText(tabId: string, text: string): void {
  const e = entries.get(tabId);
  if (!e) return;
  if (e.model.getValue() !== text) e.model.setValue(text);
  markSaved(tabId);
}

export function disposeModel(tabId: string): void {
  const e = entries.get(tabId);
  if (!e) return;
  entries.delete(tabId);
  for (const s of e.subscriptions) s.dispose();
  forgetSchemas(e.model);
  e.model.dispose();
}

/** Where the editor should put the cursor next time it shows the tab (a problem's location). */
const reveals = new Map<string, { line: number; column: number }>();

export function requestReveal(tabId: string, line: number, column: number): void {
  reveals.set(tabId, { line, column });
  useAppStore.setState((s) => ({ revealRequest: s.revealRequest + 1 }));
}

export function takeReveal(tabId: string): { line: number; column: number } | undefined {
  const r = reveals.get(tabId);
  reveals.delete(tabId);
  return r;
}
