// S3 REST (path-style) over a local folder: <s3Root>/<bucket>/<key>. A bucket is a folder, a key is
// the relative path under it — the layout the aws_s3 SQL stand-in reads. Object metadata
// (Content-Type, Content-Encoding, x-amz-meta-*) lives in sidecar files under <s3Root>/.standin-meta/
// (not a valid bucket name, so never listed as a bucket or an object). Answers: ListObjectsV2
// (prefix, delimiter, max-keys, continuation-token, start-after), HeadObject, GetObject, PutObject,
// CreateBucket; errors as <Error><Code>NoSuchKey</Code>… with AWS's statuses.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { escapeXml } from './xml.js';
import { header, requestId, type StandinRequest, type StandinResponse } from './http-types.js';

const META_DIR = '.standin-meta';
const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export interface S3ObjectMeta {
  ContentType?: string;
  ContentEncoding?: string;
  Metadata?: Record<string, string>;
}

export interface S3ObjectSeed extends S3ObjectMeta {
  bucket: string;
  key: string;
  body: string | Buffer;
}

export class S3Error extends Error {
  constructor(readonly code: string, message: string, readonly status: number, readonly extra: Record<string, string> = {}) {
    super(message);
  }
}

export class S3Store {
  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
  }

  createBucket(bucket: string): void {
    validateBucket(bucket);
    mkdirSync(join(this.root, bucket), { recursive: true });
  }

  bucketExists(bucket: string): boolean {
    return isValidBucket(bucket) && existsSync(join(this.root, bucket)) && statSync(join(this.root, bucket)).isDirectory();
  }

  putObject(bucket: string, key: string, body: string | Buffer, meta: S3ObjectMeta = {}): string {
    if (!this.bucketExists(bucket)) throw noSuchBucket(bucket);
    const file = this.objectPath(bucket, key);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, body);
    const metaFile = this.metaPath(bucket, key);
    mkdirSync(dirname(metaFile), { recursive: true });
    writeFileSync(metaFile, JSON.stringify(meta));
    return etagOf(Buffer.from(body));
  }

  /** The object's bytes and metadata, or NoSuchKey / NoSuchBucket. */
  getObject(bucket: string, key: string): { body: Buffer; meta: S3ObjectMeta; etag: string; lastModified: Date } {
    if (!this.bucketExists(bucket)) throw noSuchBucket(bucket);
    const file = this.objectPath(bucket, key);
    if (!existsSync(file) || !statSync(file).isFile()) {
      throw new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
    }
    const body = readFileSync(file);
    const metaFile = this.metaPath(bucket, key);
    const meta: S3ObjectMeta = existsSync(metaFile) ? JSON.parse(readFileSync(metaFile, 'utf8')) : {};
    return { body, meta, etag: etagOf(body), lastModified: statSync(file).mtime };
  }

  /** Every key in the bucket, sorted by UTF-8 bytes like S3 (files written straight into the folder count too). */
  listKeys(bucket: string): string[] {
    if (!this.bucketExists(bucket)) throw noSuchBucket(bucket);
    const keys: string[] = [];
    const walk = (dir: string, prefix: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(dir, entry.name), `${prefix}${entry.name}/`);
        else if (entry.isFile()) keys.push(`${prefix}${entry.name}`);
      }
    };
    walk(join(this.root, bucket), '');
    return keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  objectPath(bucket: string, key: string): string {
    validateKey(key);
    return join(this.root, bucket, ...key.split('/'));
  }

  private metaPath(bucket: string, key: string): string {
    validateKey(key);
    return join(this.root, META_DIR, bucket, ...key.split('/')) + '.json';
  }
}

export function etagOf(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
function isValidBucket(bucket: string): boolean {
  return BUCKET_RE.test(bucket) && !bucket.includes('..');
}
function validateBucket(bucket: string): void {
  if (!isValidBucket(bucket)) throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', 400, { BucketName: bucket });
}
function validateKey(key: string): void {
  // A key is a relative path in the folder: refuse what would escape it or cannot be a file name.
  if (!key || key.split('/').some((p) => p === '..' || p === '.' || p === '') || key.includes(sep === '\\' ? '\\' : '\0')) {
    throw new S3Error('InvalidArgument', `The stand-in cannot store key "${key}" as a file (empty, "." or ".." segments).`, 400);
  }
}
function noSuchBucket(bucket: string): S3Error {
  return new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });
}

/** Answers one S3 REST request. `operationOf` names the operation for counting and faults. */
export function s3OperationOf(req: StandinRequest): { operation: string; bucket?: string; key?: string } {
  const [, rawBucket = '', ...rest] = req.path.split('/');
  const bucket = decodeURIComponent(rawBucket) || undefined;
  const key = rest.length ? rest.map(decodeURIComponent).join('/') : undefined;
  const m = req.method.toUpperCase();
  if (!bucket) return { operation: m === 'GET' ? 'ListBuckets' : 'Unknown' };
  if (!key) {
    if (m === 'GET' && req.query.get('list-type') === '2') return { operation: 'ListObjectsV2', bucket };
    if (m === 'GET') return { operation: 'ListObjects', bucket };
    if (m === 'PUT') return { operation: 'CreateBucket', bucket };
    if (m === 'HEAD') return { operation: 'HeadBucket', bucket };
    return { operation: 'Unknown', bucket };
  }
  const op = ({ GET: 'GetObject', HEAD: 'HeadObject', PUT: 'PutObject' } as Record<string, string>)[m] ?? 'Unknown';
  return { operation: op, bucket, key };
}

export function handleS3(store: S3Store, req: StandinRequest): StandinResponse {
  const { operation, bucket, key } = s3OperationOf(req);
  try {
    switch (operation) {
      case 'ListObjectsV2':
        return listObjectsV2(store, bucket!, req.query);
      case 'CreateBucket':
        store.createBucket(bucket!);
        return { status: 200, headers: { Location: `/${bucket}` } };
      case 'HeadBucket':
        if (!store.bucketExists(bucket!)) return { status: 404 };
        return { status: 200 };
      case 'PutObject': {
        const meta: S3ObjectMeta = {};
        const ct = header(req, 'content-type');
        const ce = header(req, 'content-encoding');
        if (ct) meta.ContentType = ct;
        if (ce) meta.ContentEncoding = ce;
        for (const [h, v] of Object.entries(req.headers)) {
          if (h.startsWith('x-amz-meta-') && typeof v === 'string') (meta.Metadata ??= {})[h.slice(11)] = v;
        }
        const etag = store.putObject(bucket!, key!, req.body, meta);
        return { status: 200, headers: { ETag: etag } };
      }
      case 'GetObject':
      case 'HeadObject': {
        const obj = store.getObject(bucket!, key!);
        const headers: Record<string, string> = {
          ETag: obj.etag,
          'Content-Length': String(obj.body.length),
          'Last-Modified': obj.lastModified.toUTCString(),
          'Content-Type': obj.meta.ContentType ?? 'binary/octet-stream',
          'Accept-Ranges': 'bytes',
        };
        if (obj.meta.ContentEncoding) headers['Content-Encoding'] = obj.meta.ContentEncoding;
        for (const [k, v] of Object.entries(obj.meta.Metadata ?? {})) headers[`x-amz-meta-${k}`] = v;
        return { status: 200, headers, body: operation === 'GetObject' ? obj.body : undefined };
      }
      default:
        return s3ErrorResponse(new S3Error('NotImplemented', `The stand-in does not implement ${req.method} ${req.path}.`, 501), req);
    }
  } catch (err) {
    if (err instanceof S3Error) return s3ErrorResponse(err, req);
    throw err;
  }
}

function listObjectsV2(store: S3Store, bucket: string, q: URLSearchParams): StandinResponse {
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxKeysRaw = q.get('max-keys');
  const maxKeys = maxKeysRaw === null ? 1000 : Math.min(1000, Number(maxKeysRaw));
  if (!Number.isInteger(maxKeys) || maxKeys < 0) throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', 400);
  const token = q.get('continuation-token');
  const startAfter = q.get('start-after') ?? '';
  let after = startAfter;
  if (token !== null) {
    after = Buffer.from(token, 'base64url').toString('utf8');
    if (!after.startsWith('k:')) throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', 400);
    after = after.slice(2);
  }
  const contents: string[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let last = '';
  for (const k of store.listKeys(bucket)) {
    if (!k.startsWith(prefix) || (after && Buffer.compare(Buffer.from(k), Buffer.from(after)) <= 0)) continue;
    let entry = k;
    let isPrefix = false;
    if (delimiter) {
      const i = k.indexOf(delimiter, prefix.length);
      if (i >= 0) {
        entry = k.slice(0, i + delimiter.length);
        isPrefix = true;
      }
    }
    if (isPrefix && prefixes.includes(entry)) {
      last = k;
      continue;
    }
    if (contents.length + prefixes.length >= maxKeys) {
      truncated = true;
      break;
    }
    if (isPrefix) prefixes.push(entry);
    else contents.push(k);
    last = k;
  }
  const items = contents.map((k) => {
    const o = store.getObject(bucket, k);
    return `<Contents><Key>${escapeXml(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${escapeXml(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
  });
  const next = truncated ? Buffer.from(`k:${last}`).toString('base64url') : undefined;
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="${S3_NS}"><Name>${escapeXml(bucket)}</Name><Prefix>${escapeXml(prefix)}</Prefix>` +
    (delimiter ? `<Delimiter>${escapeXml(delimiter)}</Delimiter>` : '') +
    `<KeyCount>${contents.length + prefixes.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>` +
    (token !== null ? `<ContinuationToken>${escapeXml(token)}</ContinuationToken>` : '') +
    (next ? `<NextContinuationToken>${next}</NextContinuationToken>` : '') +
    (startAfter ? `<StartAfter>${escapeXml(startAfter)}</StartAfter>` : '') +
    items.join('') +
    prefixes.map((p) => `<CommonPrefixes><Prefix>${escapeXml(p)}</Prefix></CommonPrefixes>`).join('') +
    `</ListBucketResult>`;
  return { status: 200, headers: { 'Content-Type': 'application/xml' }, body: xml };
}

export function s3ErrorResponse(err: S3Error, req: StandinRequest): StandinResponse {
  const id = requestId();
  const headers = { 'Content-Type': 'application/xml', 'x-amz-request-id': id };
  // HEAD answers carry no body; the SDK then names the error after the status (NotFound, Forbidden).
  if (req.method.toUpperCase() === 'HEAD') return { status: err.status, headers };
  const extra = Object.entries(err.extra).map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`).join('');
  return {
    status: err.status,
    headers,
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${err.code}</Code><Message>${escapeXml(err.message)}</Message>${extra}<RequestId>${id}</RequestId></Error>`,
  };
}
