/**
 * The two S3 XML documents the bucket client reads: a ListObjectsV2 page and an error. S3 writes flat, well-formed XML
 * with no attributes on these elements, so a few element scans are enough and keep an XML library out of the app.
 */

export interface ListedObject {
  key: string;
  /** Without the quotes S3 puts around it (minio-go trims them too, and Flux indexes that form). */
  etag: string;
  size: number;
}

export interface ListPage {
  objects: ListedObject[];
  /** Present when the listing is truncated: pass it back as `continuation-token`. */
  nextToken?: string;
}

export interface S3ErrorBody {
  code: string;
  message: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeXmlText(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? '';
  });
}

/** The text of the first `<name>` element inside `xml`, decoded; undefined when there is none. */
function element(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>|<${name}\\s*/>`).exec(xml);
  if (!m) return undefined;
  return decodeXmlText(m[1] ?? '');
}

export function trimEtag(etag: string): string {
  return etag.replace(/^"+|"+$/g, '');
}

export function parseListPage(xml: string): ListPage {
  if (!/<ListBucketResult[\s>]/.test(xml)) throw new Error('the answer is not a ListBucketResult document');
  const objects: ListedObject[] = [];
  for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const body = m[1] ?? '';
    const key = element(body, 'Key');
    if (key === undefined) throw new Error('a listed object has no Key');
    objects.push({ key, etag: trimEtag(element(body, 'ETag') ?? ''), size: Number(element(body, 'Size') ?? 0) });
  }
  // Only the document's own IsTruncated counts; <Contents> never holds one.
  const outside = xml.replace(/<Contents>[\s\S]*?<\/Contents>/g, '');
  const truncated = element(outside, 'IsTruncated') === 'true';
  const nextToken = element(outside, 'NextContinuationToken');
  if (truncated && !nextToken) throw new Error('the listing is truncated but has no NextContinuationToken');
  return { objects, ...(truncated && nextToken ? { nextToken } : {}) };
}

export function parseErrorBody(xml: string): S3ErrorBody | undefined {
  if (!/<Error[\s>]/.test(xml)) return undefined;
  return { code: element(xml, 'Code') ?? '', message: element(xml, 'Message') ?? '' };
}
