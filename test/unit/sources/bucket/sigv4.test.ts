// SigV4 against AWS's published vectors: the aws-sig-v4-test-suite (credentials AKIDEXAMPLE, 2015-08-30T12:36:00Z,
// service "service") and the S3 documentation's GetObject example (examplebucket, 2013-05-24, Range header).
import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import {
  amzDate,
  canonicalQuery,
  EMPTY_PAYLOAD_SHA256,
  signRequest,
  uriEncode,
} from '../../../../main/sources/bucket/sigv4.ts';

const SUITE_KEYS = { accessKey: 'AKIDEXAMPLE', secretKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SUITE_DATE = new Date('2015-08-30T12:36:00Z');
const SUITE = { region: 'us-east-1', service: 'service', date: SUITE_DATE, doubleEncodePath: true };
const SCOPE = 'AKIDEXAMPLE/20150830/us-east-1/service/aws4_request';

describe('signRequest (aws-sig-v4-test-suite)', () => {
  it('get-vanilla: canonical request, string to sign and Authorization as published', () => {
    const s = signRequest(
      {
        ...SUITE,
        method: 'GET',
        path: '/',
        headers: { Host: 'example.amazonaws.com' },
        payloadHash: EMPTY_PAYLOAD_SHA256,
      },
      SUITE_KEYS,
    );
    expect(s.canonicalRequest).toBe(
      'GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(s.stringToSign).toBe(
      'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63',
    );
    expect(s.headers.authorization).toBe(
      `AWS4-HMAC-SHA256 Credential=${SCOPE}, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31`,
    );
    expect(s.headers['x-amz-date']).toBe('20150830T123600Z');
  });

  it('get-vanilla-query-order-key-case: query parameters sorted by name', () => {
    const s = signRequest(
      {
        ...SUITE,
        method: 'GET',
        path: '/',
        query: [
          ['Param2', 'value2'],
          ['Param1', 'value1'],
        ],
        headers: { Host: 'example.amazonaws.com' },
        payloadHash: EMPTY_PAYLOAD_SHA256,
      },
      SUITE_KEYS,
    );
    expect(s.canonicalRequest).toContain('\nParam1=value1&Param2=value2\n');
    expect(s.signature).toBe('b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500');
    expect(s.requestPath).toBe('/?Param1=value1&Param2=value2');
  });

  it('post-x-www-form-urlencoded: a signed content-type and a hashed body', () => {
    const body = 'Param1=value1';
    const s = signRequest(
      {
        ...SUITE,
        method: 'POST',
        path: '/',
        headers: { Host: 'example.amazonaws.com', 'Content-Type': 'application/x-www-form-urlencoded' },
        payloadHash: createHash('sha256').update(body).digest('hex'),
      },
      SUITE_KEYS,
    );
    expect(s.signature).toBe('ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a');
  });
});

describe('signRequest (S3 GetObject example of the S3 API reference)', () => {
  it('signs GET /test.txt with Range and x-amz-content-sha256 to the documented signature', () => {
    const s = signRequest(
      {
        method: 'GET',
        path: '/test.txt',
        headers: {
          Host: 'examplebucket.s3.amazonaws.com',
          Range: 'bytes=0-9',
          'x-amz-content-sha256': EMPTY_PAYLOAD_SHA256,
        },
        payloadHash: EMPTY_PAYLOAD_SHA256,
        region: 'us-east-1',
        service: 's3',
        date: new Date('2013-05-24T00:00:00Z'),
      },
      { accessKey: 'AKIAIOSFODNN7EXAMPLE', secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    );
    expect(s.stringToSign).toBe(
      'AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972',
    );
    expect(s.headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });
});

describe('encoding', () => {
  it('keeps only unreserved characters and encodes UTF-8 bytes in upper-case hex', () => {
    expect(uriEncode('-._~AZaz09')).toBe('-._~AZaz09');
    expect(uriEncode('a b+c/ä', true)).toBe('a%20b%2Bc/%C3%A4');
    expect(uriEncode('a/b')).toBe('a%2Fb');
  });

  it('S3 keys are encoded once in the path, other services twice', () => {
    const base = {
      method: 'GET',
      path: '/bucket/my file.yaml',
      headers: { host: 'h' },
      payloadHash: EMPTY_PAYLOAD_SHA256,
      region: 'us-east-1',
      service: 's3',
      date: SUITE_DATE,
    };
    expect(signRequest(base, SUITE_KEYS).canonicalRequest.split('\n')[1]).toBe('/bucket/my%20file.yaml');
    expect(signRequest({ ...base, doubleEncodePath: true }, SUITE_KEYS).canonicalRequest.split('\n')[1]).toBe(
      '/bucket/my%2520file.yaml',
    );
  });

  it('sorts the canonical query by encoded name, then value', () => {
    expect(
      canonicalQuery([
        ['prefix', 'a b'],
        ['list-type', '2'],
        ['continuation-token', 'x/y='],
      ]),
    ).toBe('continuation-token=x%2Fy%3D&list-type=2&prefix=a%20b');
  });

  it('formats the date as SigV4 wants it', () => {
    expect(amzDate(new Date('2024-01-02T03:04:05.678Z'))).toBe('20240102T030405Z');
  });
});
