import { describe, expect, it } from 'vitest';

import { inPlaceDiff } from '../../../main/images/line-diff.ts';

describe('inPlaceDiff', () => {
  it('prints each changed line with three lines of context, merging close changes into one hunk', () => {
    const before = ['a', 'b', 'c', 'd', 'image: x:1', 'e', 'tag: 1', 'f', 'g', 'h', 'i', 'j', 'k', 'last: 1', ''].join('\n');
    const after = before.replace('x:1', 'x:2').replace('tag: 1', 'tag: 2').replace('last: 1', 'last: 2');
    expect(inPlaceDiff('f.yaml', before, after)).toBe(
      [
        '--- a/f.yaml',
        '+++ b/f.yaml',
        '@@ -2,14 +2,14 @@',
        ' b',
        ' c',
        ' d',
        '-image: x:1',
        '+image: x:2',
        ' e',
        '-tag: 1',
        '+tag: 2',
        ' f',
        ' g',
        ' h',
        ' i',
        ' j',
        ' k',
        '-last: 1',
        '+last: 2',
        ' ',
        '',
      ].join('\n'),
    );
  });

  it('refuses an edit that changed the line count', () => {
    expect(() => inPlaceDiff('f', 'a\n', 'a\nb\n')).toThrow(/not an in-place edit/);
  });
});
