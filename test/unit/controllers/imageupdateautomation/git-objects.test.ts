import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { pushOptionStrings } from '../../../../main/controllers/imageupdateautomation/git-update.ts';
import { pathSegments } from '../../../../main/controllers/imageupdateautomation/tree-update.ts';
import { commitPayload, withSignature } from '../../../../main/sources/git/commit-object.ts';
import { encodePack, objectId } from '../../../../main/sources/git/receive-pack.ts';

describe('git objects of an update run', () => {
  it('names objects as git does', () => {
    // `printf 'hello\n' | git hash-object --stdin`; the empty tree's well-known id.
    expect(objectId({ type: 'blob', data: Buffer.from('hello\n') })).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    expect(objectId({ type: 'tree', data: Buffer.alloc(0) })).toBe('4b825dc642cb6eb9a060e54bf8d69288fbee4904');
  });

  it('writes a pack: header, type and size varint, deflated data, SHA-1 trailer', () => {
    const data = Buffer.from('x'.repeat(300));
    const pack = encodePack([{ type: 'blob', data }]);
    expect(pack.toString('latin1', 0, 4)).toBe('PACK');
    expect(pack.readUInt32BE(4)).toBe(2);
    expect(pack.readUInt32BE(8)).toBe(1);
    // 300 = 0b1_0010_1100: type blob (3) and the low 4 bits (1100) with the continuation bit, then 300 >> 4 = 18.
    expect([pack[12], pack[13]]).toEqual([0x80 | (3 << 4) | 0x0c, 18]);
    const body = pack.subarray(0, pack.length - 20);
    expect(inflateSync(body.subarray(14))).toEqual(data);
    expect(pack.subarray(pack.length - 20)).toEqual(createHash('sha1').update(body).digest());
  });

  it('formats the commit as git does, and puts a signature in the gpgsig header', () => {
    const who = { name: 'Bot <x>', email: 'bot@example.com', time: 1700000000.7 };
    const payload = commitPayload({
      tree: 'a'.repeat(40),
      parents: ['b'.repeat(40)],
      author: who,
      committer: who,
      message: 'Update\n\n- apps/x.yaml',
    });
    expect(payload).toBe(
      [
        `tree ${'a'.repeat(40)}`,
        `parent ${'b'.repeat(40)}`,
        'author Bot x <bot@example.com> 1700000000 +0000',
        'committer Bot x <bot@example.com> 1700000000 +0000',
        '',
        'Update\n\n- apps/x.yaml\n',
      ].join('\n'),
    );
    const signed = withSignature(payload, '-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n');
    expect(signed).toBe(
      payload.replace(
        '+0000\n\n',
        '+0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n\n',
      ),
    );
  });

  it('sends push options in key order, a key with an empty value alone', () => {
    expect(pushOptionStrings({ 'merge_request.target': 'main', 'merge_request.create': '' })).toEqual([
      'merge_request.create',
      'merge_request.target=main',
    ]);
    expect(pushOptionStrings(undefined)).toEqual([]);
  });

  it('reads update.path as tree segments and refuses one that leaves the repository', () => {
    expect(pathSegments('./apps//prod/')).toEqual(['apps', 'prod']);
    expect(pathSegments(undefined)).toEqual([]);
    expect(() => pathSegments('apps/../../etc')).toThrow(/leaves the repository/);
  });
});
