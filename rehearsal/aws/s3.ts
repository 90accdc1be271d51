// S3 REST (path-style) over a local folder: <s3Root>/<bucket>/<key>. A bucket is a folder, a key is
// the relative path under it — the layout the aws_s3 SQL stand-in reads. Object metadata
// (Content-Type, Content-Encoding, x-amz-meta-*) lives in sidecar files under <s3Root>/.standin-meta/
// (not a valid bucket name, so never listed as a bucket or an object). Answers: ListObjectsV2
// (prefix, delimiter, max-keys, continuation-token, start-after), HeadObject, GetObject, PutObject,
// DeleteObject, CreateBucket, Get/PutBucketVersioning; errors as <Error><Code>NoSuchKey</Code>…
// with AWS's statuses.
//
// Conditional writes, as S3 documents them (docs/commands.md "Remote state (S3)"):
// - PutObject `If-None-Match: *` writes only when the key does not exist, else 412 PreconditionFailed;
// - PutObject `If-Match: <ETag>` writes only when the current object has that ETag: 412 when it
//   differs, 404 NoSuchKey when there is no object (S3 answers so; callers treat both as "changed");
// - DeleteObject `If-Match: <ETag>`: 412 when it differs;
// - a conditional write or delete of a key while another conditional write of it is in flight is
//   409 ConditionalRequestConflict. The stand-in answers requests one at a time, so "in flight" is
//   made explicit: S3Store.holdConditionalWrite() opens one (tests), until its release().
// ETags are the quoted md5 of the body (what S3 answers for a single-part upload). Versioning is a
// per-bucket setting (never / Enabled / Suspended) answered by GetBucketVersioning; old versions
// themselves are not kept.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { escapeXml } from './xml.js';
import { header, requestId, type StandinRequest, type StandinResponse } from './http-types.js';

const META_DIR = '.standin-meta';
/** Bucket settings (versioning) live in <s3Root>/.standin-meta/.buckets/<bucket>.json: not a bucket name. */
const BUCKET_SETTINGS_DIR = '.buckets';
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

/** The conditional headers of a write (PutObject, DeleteObject). */
export interface S3WriteConditions {
  /** `If-Match`: the ETag the current object must have. */
  ifMatch?: string;
  /** `If-None-Match`: only `*` (the key must not exist). */
  ifNoneMatch?: string;
}

export type BucketVersioning = 'Enabled' | 'Suspended';

export class S3Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
  }
}

export class S3Store {
  /** Conditional writes in flight per "bucket/key" (see holdConditionalWrite). */
  private readonly inFlight = new Map<string, number>();

  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
  }

  /**
   * Opens a conditional write of bucket/key that stays in flight until release(): meanwhile every
   * other conditional write or delete of that key is 409 ConditionalRequestConflict, as on S3 when
   * two conditional uploads of one key overlap.
   */
  holdConditionalWrite(bucket: string, key: string): { release(): void } {
    const id = `${bucket}/${key}`;
    this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const n = (this.inFlight.get(id) ?? 1) - 1;
        if (n <= 0) this.inFlight.delete(id);
        else this.inFlight.set(id, n);
      },
    };
  }

  /** Throws what S3 answers when the conditions do not hold for the current object (or a write is in flight). */
  checkConditions(
    bucket: string,
    key: string,
    conditions: S3WriteConditions,
    operation: 'PutObject' | 'DeleteObject',
  ): void {
    if (conditions.ifMatch === undefined && conditions.ifNoneMatch === undefined) return;
    if (!this.bucketExists(bucket)) throw noSuchBucket(bucket);
    if (conditions.ifNoneMatch !== undefined && conditions.ifNoneMatch.trim() !== '*') {
      throw new S3Error('NotImplemented', 'A header you provided implies functionality that is not implemented', 501, {
        Header: 'If-None-Match',
      });
    }
    if (this.inFlight.has(`${bucket}/${key}`)) {
      throw new S3Error(
        'ConditionalRequestConflict',
        'A conflicting conditional operation is currently in progress against this resource. Please try again.',
        409,
        { Key: key },
      );
    }
    const current = this.currentEtag(bucket, key);
    if (conditions.ifNoneMatch !== undefined && current !== undefined) {
      throw preconditionFailed('If-None-Match');
    }
    if (conditions.ifMatch !== undefined) {
      if (current === undefined) {
        if (operation === 'DeleteObject') return; // nothing to delete; S3 answers 204
        throw new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
      }
      if (!etagMatches(conditions.ifMatch, current)) throw preconditionFailed('If-Match');
    }
  }

  /** The current object's ETag, or undefined when there is none. */
  currentEtag(bucket: string, key: string): string | undefined {
    const file = this.objectPath(bucket, key);
    if (!existsSync(file) || !statSync(file).isFile()) return undefined;
    return etagOf(readFileSync(file));
  }

  /** PutObject with S3's conditional-write rules; returns the new ETag. */
  putObjectIf(
    bucket: string,
    key: string,
    body: string | Buffer,
    meta: S3ObjectMeta,
    conditions: S3WriteConditions,
  ): string {
    this.checkConditions(bucket, key, conditions, 'PutObject');
    return this.putObject(bucket, key, body, meta);
  }

  /** DeleteObject (If-Match optional); deleting a missing key succeeds, as on S3. */
  deleteObject(bucket: string, key: string, conditions: S3WriteConditions = {}): void {
    if (!this.bucketExists(bucket)) throw noSuchBucket(bucket);
    this.checkConditions(bucket, key, { ifMatch: conditions.ifMatch }, 'DeleteObject');
    rmSync(this.objectPath(bucket, key), { force: true });
    rmSync(this.metaPath(bucket, key), { force: true });
  }

  /** GetBucketVersioning: undefined when versioning was never enabled. */
  versioning(bucket: string): BucketVersioning | undefined {
    if (!this.bucketExists(bucket)) throw noSuchBucket(bucket);
    const file = this.bucketSettingsPath(bucket);
    if (!existsSync(file)) return undefined;
    return (JSON.parse(readFileSync(file, 'utf8')) as { versioning?: BucketVersioning }).versioning;
  }

  /** PutBucketVersioning (also the seed of a test: `aws.s3.setVersioning('team-state', 'Enabled')`). */
  setVersioning(bucket: string, status: BucketVersioning): void {
    if (!this.bucketExists(bucket)) throw noSuchBucket(bucket);
    if (status !== 'Enabled' && status !== 'Suspended') {
      throw new S3Error(
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema',
        400,
      );
    }
    const file = this.bucketSettingsPath(bucket);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ versioning: status }));
  }

  private bucketSettingsPath(bucket: string): string {
    return join(this.root, META_DIR, BUCKET_SETTINGS_DIR, `${bucket}.json`);
  }

  createBucket(bucket: string): void {
    validateBucket(bucket);
    mkdirSync(join(this.root, bucket), { recursive: true });
  }

  bucketExists(bucket: string): boolean {
    return (
      isValidBucket(bucket) && existsSync(join(this.root, bucket)) && statSync(join(this.root, bucket)).isDirectory()
    );
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

/** If-Match takes the ETag quoted (as S3 answers it) or bare; `*` matches any existing object. */
function etagMatches(wanted: string, current: string): boolean {
  const bare = (e: string) => e.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  return wanted.split(',').some((w) => w.trim() === '*' || bare(w) === bare(current));
}

function preconditionFailed(condition: string): S3Error {
  return new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, {
    Condition: condition,
  });
}

/** The conditional headers of a request, as the call log records them (IfMatch / IfNoneMatch, the SDK's names). */
export function s3ConditionalParams(req: StandinRequest): { IfMatch?: string; IfNoneMatch?: string } {
  const out: { IfMatch?: string; IfNoneMatch?: string } = {};
  const ifMatch = header(req, 'if-match');
  const ifNoneMatch = header(req, 'if-none-match');
  if (ifMatch !== undefined) out.IfMatch = ifMatch;
  if (ifNoneMatch !== undefined) out.IfNoneMatch = ifNoneMatch;
  return out;
}

function writeConditions(req: StandinRequest): S3WriteConditions {
  const { IfMatch, IfNoneMatch } = s3ConditionalParams(req);
  return { ifMatch: IfMatch, ifNoneMatch: IfNoneMatch };
}

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
function isValidBucket(bucket: string): boolean {
  return BUCKET_RE.test(bucket) && !bucket.includes('..');
}
function validateBucket(bucket: string): void {
  if (!isValidBucket(bucket))
    throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', 400, { BucketName: bucket });
}
function validateKey(key: string): void {
  // A key is a relative path in the folder: refuse what would escape it or cannot be a file name.
  if (
    !key ||
    key.split('/').some((p) => p === '..' || p === '.' || p === '') ||
    key.includes(sep === '\\' ? '\\' : '\0')
  ) {
    throw new S3Error(
      'InvalidArgument',
      `The stand-in cannot store key "${key}" as a file (empty, "." or ".." segments).`,
      400,
    );
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
    if (req.query.has('versioning')) {
      if (m === 'GET') return { operation: 'GetBucketVersioning', bucket };
      if (m === 'PUT') return { operation: 'PutBucketVersioning', bucket };
    }
    if (m === 'GET' && req.query.get('list-type') === '2') return { operation: 'ListObjectsV2', bucket };
    if (m === 'GET') return { operation: 'ListObjects', bucket };
    if (m === 'PUT') return { operation: 'CreateBucket', bucket };
    if (m === 'HEAD') return { operation: 'HeadBucket', bucket };
    return { operation: 'Unknown', bucket };
  }
  const op =
    ({ GET: 'GetObject', HEAD: 'HeadObject', PUT: 'PutObject', DELETE: 'DeleteObject' } as Record<string, string>)[m] ??
    'Unknown';
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
      case 'GetBucketVersioning': {
        const status = store.versioning(bucket!);
        const xml = `<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration xmlns="${S3_NS}">${status ? `<Status>${status}</Status>` : ''}</VersioningConfiguration>`;
        return { status: 200, headers: { 'Content-Type': 'application/xml' }, body: xml };
      }
      case 'PutBucketVersioning': {
        const status = /<Status>([^<]*)<\/Status>/.exec(req.body.toString('utf8'))?.[1];
        store.setVersioning(bucket!, status as 'Enabled' | 'Suspended');
        return { status: 200 };
      }
      case 'DeleteObject':
        store.deleteObject(bucket!, key!, writeConditions(req));
        return { status: 204 };
      case 'PutObject': {
        const meta: S3ObjectMeta = {};
        const ct = header(req, 'content-type');
        const ce = header(req, 'content-encoding');
        if (ct) meta.ContentType = ct;
        if (ce) meta.ContentEncoding = ce;
        for (const [h, v] of Object.entries(req.headers)) {
          if (h.startsWith('x-amz-meta-') && typeof v === 'string') {
            meta.Metadata ??= {};
            meta.Metadata[h.slice(11)] = v;
          }
        }
        const etag = store.putObjectIf(bucket!, key!, req.body, meta, writeConditions(req));
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
        return s3ErrorResponse(
          new S3Error('NotImplemented', `The stand-in does not implement ${req.method} ${req.path}.`, 501),
          req,
        );
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
  if (!Number.isInteger(maxKeys) || maxKeys < 0)
    throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', 400);
  const token = q.get('continuation-token');
  const startAfter = q.get('start-after') ?? '';
  let after = startAfter;
  if (token !== null) {
    after = Buffer.from(token, 'base64url').toString('utf8');
    if (!after.startsWith('k:'))
      throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', 400);
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
  const extra = Object.entries(err.extra)
    .map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`)
    .join('');
  return {
    status: err.status,
    headers,
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${err.code}</Code><Message>${escapeXml(err.message)}</Message>${extra}<RequestId>${id}</RequestId></Error>`,
  };
}
