import { readFile } from 'node:fs/promises';

import { parseAllDocuments } from 'yaml';

import type { FieldChange } from '../../kube/object-diff.ts';
import { type ObjectDiff, ResourceManager } from '../../kube/resource-manager.ts';
import { describeRef, type KubeObject, type ObjectRef } from '../../util/kube-object.ts';
import { openFromFlags, parseCommand } from '../cluster-flags.ts';
import { type CliIO, type Command, UsageError } from '../command.ts';

/**
 * `fluxdeck diff-objects -f FILE`: what server-side applying these manifests would change, field by field, as the
 * apply engine sees it (a server-side dry-run, so defaults never show as drift), with the field manager that last set
 * each live value. Exit code 1 when something would change, like `flux diff`.
 */
export const diffObjectsCommand: Command = {
  name: 'diff-objects',
  summary: 'Show what applying manifests would change in the cluster, and who set each drifted field',
  usage:
    'fluxdeck diff-objects -f FILE [-f FILE...] [-n NS] [--field-manager NAME] [--context CTX] [--kubeconfig PATH]',
  run: async (args, io) => {
    const { flags, values } = parseCommand(args, {
      filename: { type: 'string', short: 'f', multiple: true },
      'field-manager': { type: 'string' },
    });
    const files = (values.filename as string[] | undefined) ?? [];
    if (files.length === 0) throw new UsageError('diff-objects: at least one -f FILE is required');
    const client = await openFromFlags(flags);
    try {
      // Objects without a namespace go to -n, else the context's namespace, as with kubectl apply.
      const objects: KubeObject[] = [];
      for (const f of files) objects.push(...(await readManifests(f, flags.namespace ?? client.namespace)));
      const field = (values['field-manager'] as string | undefined) ?? 'kustomize-controller';
      const rm = new ResourceManager(client, { owner: { field, group: 'kustomize.toolkit.fluxcd.io' } });
      let differences = 0;
      for (const result of await rm.diffAll(objects, { signal: io.signal })) {
        if ('error' in result) {
          differences++;
          io.err(`✗ ${result.error.message}\n`);
          continue;
        }
        const { entry, changes } = result;
        if (entry.action === 'unchanged' || entry.action === 'skipped') continue;
        differences++;
        io.out(`► ${entry.subject} ${entry.action === 'configured' ? 'drifted' : entry.action}\n`);
        for (const c of changes) io.out(`${formatChange(c)}\n`);
      }
      if (differences === 0) io.out(`✔ no changes (${objects.length} objects)\n`);
      return differences === 0 ? 0 : 1;
    } finally {
      client.close();
    }
  },
};

/**
 * Prints a preview as `flux diff` does: one `►` line per object that would be created, changed (`drifted`) or
 * deleted, its field changes under it, and what the dry run refused on stderr. Returns how many differences there
 * were (refusals count: CI should not pass what cannot be applied).
 */
export function reportChanges(
  io: CliIO,
  preview: {
    diffs: readonly ObjectDiff[];
    deleted: readonly ObjectRef[];
    errors: readonly { ref: ObjectRef; message: string }[];
  },
): number {
  let changes = 0;
  for (const d of preview.diffs) {
    if (d.entry.action === 'unchanged' || d.entry.action === 'skipped') continue;
    changes++;
    io.out(`► ${d.entry.subject} ${d.entry.action === 'configured' ? 'drifted' : d.entry.action}\n`);
    for (const c of d.changes) io.out(`${formatChange(c)}\n`);
  }
  for (const p of preview.deleted) {
    changes++;
    io.out(`► ${describeRef(p)} deleted\n`);
  }
  for (const e of preview.errors) io.err(`✗ ${describeRef(e.ref)}: ${e.message}\n`);
  return changes + preview.errors.length;
}

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

export function formatChange(c: FieldChange): string {
  const who = c.manager ? ` (set by ${c.manager}${c.time ? ` at ${c.time}` : ''})` : '';
  if (c.op === 'added') return `  + ${c.path}: ${show(c.desired)}`;
  if (c.op === 'removed') return `  - ${c.path}: ${show(c.live)}${who}`;
  return `  ~ ${c.path}: ${show(c.live)} → ${show(c.desired)}${who}`;
}

/** Reads a multi-document YAML file (Lists flattened); errors name the file and line. */
async function readManifests(file: string, namespace: string): Promise<KubeObject[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}`, { cause: err });
  }
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text, { prettyErrors: true })) {
    const err = doc.errors[0];
    if (err) throw new Error(`${file}:${err.linePos?.[0].line ?? '?'}: invalid YAML: ${err.message.split('\n')[0]}`);
    const value = doc.toJS() as KubeObject | null;
    if (!value) continue;
    const items = value.kind.endsWith('List') && Array.isArray(value.items) ? (value.items as KubeObject[]) : [value];
    for (const item of items) {
      if (typeof item.kind !== 'string' || typeof item.apiVersion !== 'string')
        throw new Error(
          `${file}:${doc.range[0] ? lineOf(text, doc.range[0]) : 1}: a document without apiVersion and kind`,
        );
      item.metadata = { ...item.metadata };
      item.metadata.namespace ??= namespace;
      out.push(item);
    }
  }
  return out;
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}
