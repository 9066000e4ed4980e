/**
 * A commit object's text, built here rather than by isomorphic-git because neither the image update nor the editor's
 * work tree commits from an index: the tree is made from the old one (tree-edit.ts). A signature goes in the `gpgsig` header, over the text
 * without it, as `git commit -S` and `git verify-commit` do.
 */
export interface CommitPerson {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  time: number;
  /** The author's time zone as minutes east of UTC (default 0, written `+0000`). */
  zoneMinutes?: number;
}

export interface CommitFields {
  tree: string;
  parents: readonly string[];
  author: CommitPerson;
  committer: CommitPerson;
  message: string;
}

/** Names and emails cannot hold what would end the header line or the `<email>` part. */
const clean = (s: string): string => s.replace(/[<>\n\r]/g, '').trim();

/** `+hhmm` / `-hhmm`. */
function zone(minutes = 0): string {
  const abs = Math.abs(Math.trunc(minutes));
  const hhmm = `${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  return `${minutes < 0 ? '-' : '+'}${hhmm}`;
}

const person = (p: CommitPerson): string =>
  `${clean(p.name)} <${clean(p.email)}> ${Math.floor(p.time)} ${zone(p.zoneMinutes)}`;

/** The commit text that is hashed, and signed when signing. The message ends with one newline, as git writes it. */
export function commitPayload(c: CommitFields): string {
  return [
    `tree ${c.tree}`,
    ...c.parents.map((p) => `parent ${p}`),
    `author ${person(c.author)}`,
    `committer ${person(c.committer)}`,
    '',
    c.message.replace(/\n*$/, '\n'),
  ].join('\n');
}

/** The payload with the armored signature as its `gpgsig` header (continuation lines start with a space). */
export function withSignature(payload: string, armored: string): string {
  const split = payload.indexOf('\n\n');
  const header = `gpgsig ${armored.replace(/\r\n/g, '\n').trimEnd().split('\n').join('\n ')}`;
  return `${payload.slice(0, split)}\n${header}${payload.slice(split)}`;
}
