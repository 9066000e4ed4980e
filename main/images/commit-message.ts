/**
 * The commit message of an image update, as image-automation-controller writes it: its default, or
 * `spec.git.commit.messageTemplate` rendered with Flux's template data (`.AutomationObject`, `.Changed` with
 * `.FileChanges`, `.Objects` and `.Changes`, `.Values`).
 */
import { compileTemplate, TemplateError } from './go-template.ts';
import type { ObjectIdentifier, SetterChange } from './setters.ts';

export const DEFAULT_COMMIT_MESSAGE = 'Update from image update automation';

/** What one run changed: file → its changed objects and their changes. */
export type FileChanges = Map<string, { object: ObjectIdentifier; change: SetterChange }[]>;

/** `.Updated` was removed from Flux's template data (v1): templates using it are refused as Flux does. */
export class RemovedTemplateFieldError extends TemplateError {}

interface GoObjectId {
  APIVersion: string;
  Kind: string;
  Name: string;
  Namespace: string;
}
interface GoChange {
  OldValue: string;
  NewValue: string;
  Setter: string;
}

/** Flux's template data for the changes; object keys are shared so `range` over `.Objects` groups them. */
export function templateData(
  automation: { namespace: string; name: string },
  files: FileChanges,
  values: Record<string, string> = {},
): Record<string, unknown> {
  const ids = new Map<string, GoObjectId>();
  const idOf = (o: ObjectIdentifier): GoObjectId => {
    const key = JSON.stringify([o.apiVersion, o.kind, o.namespace, o.name]);
    let id = ids.get(key);
    if (!id) ids.set(key, (id = { APIVersion: o.apiVersion, Kind: o.kind, Name: o.name, Namespace: o.namespace }));
    return id;
  };
  const fileChanges = new Map<string, Map<GoObjectId, GoChange[]>>();
  for (const [file, list] of files) {
    const objects = new Map<GoObjectId, GoChange[]>();
    for (const { object, change } of list) {
      const id = idOf(object);
      objects.set(id, [
        ...(objects.get(id) ?? []),
        { OldValue: change.oldValue, NewValue: change.newValue, Setter: change.setter },
      ]);
    }
    fileChanges.set(file, objects);
  }
  const changed = {
    FileChanges: fileChanges,
    Objects(): Map<GoObjectId, GoChange[]> {
      const all = new Map<GoObjectId, GoChange[]>();
      for (const objects of fileChanges.values()) for (const [id, c] of objects) all.set(id, c);
      return all;
    },
    Changes(): GoChange[] {
      const seen = new Set<string>();
      const out: GoChange[] = [];
      for (const objects of fileChanges.values())
        for (const list of objects.values())
          for (const c of list) {
            const key = JSON.stringify(c);
            if (seen.has(key)) continue;
            seen.add(key);
            out.push(c);
          }
      return out;
    },
  };
  const automationObject = {
    Name: automation.name,
    Namespace: automation.namespace,
    toString: () => `${automation.namespace}/${automation.name}`,
  };
  return { AutomationObject: automationObject, Changed: changed, Values: new Map(Object.entries(values)) };
}

/** Checks a template before any run, so a bad one stalls the automation instead of failing each push. */
export function checkMessageTemplate(template: string | undefined): void {
  if (!template) return;
  if (/\.Updated\b/.test(template))
    throw new RemovedTemplateFieldError(
      'template uses a removed field: .Updated was removed from the template data; use .Changed (see Flux v1 docs)',
    );
  compileTemplate(template);
}

export function commitMessage(
  template: string | undefined,
  data: Record<string, unknown>,
): string {
  if (!template) return DEFAULT_COMMIT_MESSAGE;
  checkMessageTemplate(template);
  return compileTemplate(template)(data);
}
