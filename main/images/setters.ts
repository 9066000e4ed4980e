/**
 * Flux's Setters update strategy on the text of one YAML file: a scalar whose line ends in a marker comment
 * `# {"$imagepolicy": "<ns>:<policy>[:tag|:name|:digest]"}` gets the policy's latest image, name, tag or digest.
 *
 * Only the marked scalar's own characters change: the file is parsed (to find scalars and to refuse files that are
 * not YAML) but never re-serialised, so comments, key order, quoting, indentation and every untouched byte stay as
 * they were. The new value keeps the old quoting; a plain scalar that would read as something other than a string
 * (`1.10`, `true`) is double-quoted so the field stays a string.
 */
import { isScalar, parseAllDocuments, type Scalar, stringify, visit } from 'yaml';

/** The token Flux screens files for before parsing them (`"$imagepolicy"`, quotes included). */
export const SETTER_TOKEN = '"$imagepolicy"';

/** What an ImagePolicy offers to markers: its `latestRef`. */
export interface PolicyRef {
  name: string;
  tag: string;
  digest?: string;
}

/**
 * The policies an automation selected, by `ns:name`: each one's latest ref, or undefined while it has selected no
 * image yet (its repository not scanned), so a marker naming it is left alone rather than reported as unknown.
 */
export type PolicyRefs = ReadonlyMap<string, PolicyRef | undefined>;

/** Flux's `ObjectIdentifier` (kyaml `ResourceIdentifier`): a kustomization.yaml may have only some of it. */
export interface ObjectIdentifier {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
}

/** Flux's `update.Change`: the setter is the marker's reference, e.g. `flux-system:podinfo:tag`. */
export interface SetterChange {
  oldValue: string;
  newValue: string;
  setter: string;
}

export interface SetterNote {
  line: number;
  message: string;
}

export interface FileSetterResult {
  /** The new text; the same string when nothing changed. */
  text: string;
  changes: { object: ObjectIdentifier; change: SetterChange; line: number }[];
  /** Markers that were left alone, with why (unknown policy, no digest, block scalar). */
  notes: SetterNote[];
}

/** The file is not YAML: it is skipped, as Flux records it as a problem file. */
export class YamlSyntaxError extends Error {
  readonly line: number;
  constructor(message: string, line: number) {
    super(message);
    this.name = 'YamlSyntaxError';
    this.line = line;
  }
}

/** The value a marker writes for a policy's ref. */
export function setterValue(ref: PolicyRef, field: 'image' | 'name' | 'tag' | 'digest'): string | undefined {
  switch (field) {
    case 'name':
      return ref.name;
    case 'tag':
      return ref.tag;
    case 'digest':
      return ref.digest;
    default:
      return `${ref.name}:${ref.tag}${ref.digest ? `@${ref.digest}` : ''}`;
  }
}

interface Marker {
  /** `ns:name` of the policy. */
  policy: string;
  field: 'image' | 'name' | 'tag' | 'digest';
  setter: string;
}

/** The marker in a line's trailing comment, or undefined when the comment is something else. */
export function parseMarker(rest: string): Marker | undefined {
  const m = /^[ \t]*#[ \t]*(\{.*\})[ \t]*$/.exec(rest);
  if (!m) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(m[1] as string);
  } catch {
    return undefined;
  }
  const setter = (parsed as Record<string, unknown> | null)?.$imagepolicy;
  if (typeof setter !== 'string') return undefined;
  const parts = setter.split(':');
  const last = parts[2];
  if (parts.length === 2) return { policy: setter, field: 'image', setter };
  if (parts.length === 3 && (last === 'name' || last === 'tag' || last === 'digest'))
    return { policy: `${parts[0] ?? ''}:${parts[1] ?? ''}`, field: last, setter };
  return undefined;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** The new scalar text in the old one's style; undefined for block scalars, which are left alone. */
function render(node: Scalar, value: string): string | undefined {
  switch (node.type) {
    case 'QUOTE_DOUBLE':
      return JSON.stringify(value);
    case 'QUOTE_SINGLE':
      return `'${value.replace(/'/g, "''")}'`;
    case 'PLAIN':
      return stringify(value).trimEnd();
    default:
      return undefined;
  }
}

function objectOf(doc: ReturnType<typeof parseAllDocuments>[number]): ObjectIdentifier {
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    apiVersion: str(doc.get('apiVersion')),
    kind: str(doc.get('kind')),
    name: str(doc.getIn(['metadata', 'name'])),
    namespace: str(doc.getIn(['metadata', 'namespace'])),
  };
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * Applies the markers of one file. `policies` maps `ns:name` to the policy's latest ref (only the policies the
 * automation selects). Throws YamlSyntaxError when the file does not parse.
 */
export function applySetters(text: string, policies: PolicyRefs): FileSetterResult {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) throw new YamlSyntaxError(err.message.split('\n')[0] ?? err.message, err.linePos?.[0].line ?? 0);
  }
  const edits: Edit[] = [];
  const result: FileSetterResult = { text, changes: [], notes: [] };
  for (const doc of list) {
    let object: ObjectIdentifier | undefined;
    visit(doc, {
      Scalar(_key, node) {
        if (!isScalar(node) || !node.range) return;
        const [start, end] = node.range;
        const eol = text.indexOf('\n', end);
        const marker = parseMarker(text.slice(end, eol < 0 ? text.length : eol));
        if (!marker) return;
        const line = lineOf(text, start);
        const ref = policies.get(marker.policy);
        const note = (message: string): void => void result.notes.push({ line, message });
        // Selected but without an image yet: nothing to write and nothing wrong (Flux skips it too); the policy's
        // first selection requeues the automation.
        if (!ref && policies.has(marker.policy)) return;
        if (!ref) return note(`marker names ImagePolicy '${marker.policy}', which this automation does not select`);
        const value = setterValue(ref, marker.field);
        if (value === undefined)
          return note(`ImagePolicy '${marker.policy}' has no digest: set its spec.digestReflectionPolicy`);
        const oldValue = String(node.value);
        if (oldValue === value) return;
        const rendered = render(node, value);
        if (rendered === undefined) return note(`block scalars are not updated; write the value on the marker's line`);
        edits.push({ start, end, text: rendered });
        object ??= objectOf(doc);
        result.changes.push({ object, change: { oldValue, newValue: value, setter: marker.setter }, line });
      },
    });
  }
  if (edits.length === 0) return result;
  let out = '';
  let at = 0;
  for (const e of edits.sort((a, b) => a.start - b.start)) {
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  result.text = out + text.slice(at);
  return result;
}
