/**
 * Writes objects the way `git hash-object -w` does: one zlib-deflated file per object under `objects/xx/`, written to
 * a temporary name and renamed, so a reader never sees half an object. For the few objects of an edit (a blob and the
 * trees on its path, a commit), loose files cost less than a pack and its index; `git gc` packs them later.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

import { type GitObjectData, objectId } from './receive-pack.ts';

/** Stores `objects` in `<gitdir>/objects` (those already there are left as they are); returns their ids in order. */
export async function writeLooseObjects(gitdir: string, objects: readonly GitObjectData[]): Promise<string[]> {
  const ids: string[] = [];
  for (const obj of objects) {
    const oid = objectId(obj);
    ids.push(oid);
    const dir = join(gitdir, 'objects', oid.slice(0, 2));
    const path = join(dir, oid.slice(2));
    if (existsSync(path)) continue;
    await mkdir(dir, { recursive: true });
    const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      await writeFile(tmp, deflateSync(Buffer.concat([Buffer.from(`${obj.type} ${obj.data.length}\0`), obj.data])));
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
  return ids;
}
