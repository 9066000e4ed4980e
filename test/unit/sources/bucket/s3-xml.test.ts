// Parsing of the S3 answers the bucket client reads (shapes as S3 and gofakes3 write them).
import { describe, expect, it } from 'vitest';

import { parseErrorBody, parseListPage } from '../../../../main/sources/bucket/s3-xml.ts';

const page = (contents: string, tail: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>${contents}${tail}</ListBucketResult>`;

describe('parseListPage', () => {
  it('reads keys, unquoted ETags and sizes, and the continuation token of a truncated page', () => {
    const xml = page(
      '<Contents><Key>a &amp; b.yaml</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>&quot;abc&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>' +
        '<Contents><Key>dir/x&#233;.yaml</Key><ETag>"def-2"</ETag><Size>0</Size></Contents>',
      '<IsTruncated>true</IsTruncated><NextContinuationToken>tok/+=</NextContinuationToken>',
    );
    expect(parseListPage(xml)).toEqual({
      objects: [
        { key: 'a & b.yaml', etag: 'abc', size: 12 },
        { key: 'dir/xé.yaml', etag: 'def-2', size: 0 },
      ],
      nextToken: 'tok/+=',
    });
  });

  it('ends the listing when the page is not truncated', () => {
    expect(parseListPage(page('', '<IsTruncated>false</IsTruncated>'))).toEqual({ objects: [] });
  });

  it('refuses a truncated page without a token and a document that is not a listing', () => {
    expect(() => parseListPage(page('', '<IsTruncated>true</IsTruncated>'))).toThrow(/NextContinuationToken/);
    expect(() => parseListPage('<html>proxy login</html>')).toThrow(/ListBucketResult/);
  });
});

describe('parseErrorBody', () => {
  it('reads the code and message of an S3 error', () => {
    expect(
      parseErrorBody(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>x</BucketName></Error>',
      ),
    ).toEqual({ code: 'NoSuchBucket', message: 'The specified bucket does not exist' });
    expect(parseErrorBody('not xml')).toBeUndefined();
  });
});
