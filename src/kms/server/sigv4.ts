// SigV4 verification for the wire server. We do not implement the signing algorithm ourselves:
// the request is re-signed with @smithy/signature-v4 (the signer the AWS SDK for JS uses) over
// exactly the headers the client says it signed, and the two signatures are compared in constant
// time. Errors use the exception names and messages AWS returns, so SDKs and the CLI report them
// the way users know.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CredentialMap } from './credentials.js';
import { WireError } from './protocol.js';

export interface IncomingSignedRequest {
  method: string;
  /** Path and query as received, e.g. `/` or `/?a=b`. */
  url: string;
  /** Node's lower-cased header bag. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Uint8Array;
}

export interface VerifiedCaller {
  accessKeyId: string;
  principal: string;
  /** Region of the credential scope: the region the request is made in. */
  region: string;
}

export interface VerifyOptions {
  service?: string;
  now?: Date;
  /** AWS allows 5 minutes of clock skew. */
  maxSkewMs?: number;
  /** A streamed body (an object upload to `cmek server`): the request must be signed over
   * `x-amz-content-sha256: UNSIGNED-PAYLOAD`, as S3 allows, and `body` is not looked at. */
  unsignedPayload?: boolean;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const AMZ_DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function header(h: IncomingSignedRequest['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function parseAmzDate(s: string): Date | undefined {
  const m = AMZ_DATE_RE.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se] = m.map(Number) as number[];
  const date = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, se!));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function amzDate(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

interface ParsedAuthorization {
  accessKeyId: string;
  shortDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(value: string): ParsedAuthorization {
  const space = value.indexOf(' ');
  const algorithm = space < 0 ? value : value.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw new WireError(
      'IncompleteSignatureException',
      `Unsupported AWS 'algorithm': '${algorithm}'`,
    );
  }
  const params = new Map<string, string>();
  for (const part of value.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) params.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((p) => !params.get(p));
  if (missing.length > 0) {
    throw new WireError(
      'IncompleteSignatureException',
      missing.map((p) => `Authorization header requires '${p}' parameter.`).join(' ') +
        ` Authorization=${value.split(' ')[0]}`,
    );
  }
  const scope = params.get('Credential')!.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request' || scope.some((s) => s === '')) {
    throw new WireError(
      'IncompleteSignatureException',
      `Credential should be of the form ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request, got '${params.get('Credential')}'.`,
    );
  }
  const [accessKeyId, shortDate, region, service] = scope as [string, string, string, string];
  return {
    accessKeyId,
    shortDate,
    region,
    service,
    signedHeaders: params.get('SignedHeaders')!.split(';'),
    signature: params.get('Signature')!,
  };
}

function splitUrl(url: string): { path: string; query: Record<string, string | string[]> } {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query: Record<string, string | string[]> = {};
  if (q >= 0) {
    for (const [k, v] of new URLSearchParams(url.slice(q + 1))) {
      const prev = query[k];
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
  }
  return { path: path || '/', query };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  // timingSafeEqual needs equal lengths. Signatures and hashes have a fixed length, so a length
  // mismatch reveals nothing about the expected value.
  if (x.length !== y.length) return false;
  return timingSafeEqual(x, y);
}

/** What AWS answers for a signature that does not cover what was received. */
function signatureMismatch(): WireError {
  return new WireError(
    'InvalidSignatureException',
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  );
}

/** Verify the SigV4 signature of a request. Returns the caller, or throws a WireError with AWS's
 * exception name: MissingAuthenticationTokenException, IncompleteSignatureException,
 * UnrecognizedClientException (unknown access key), InvalidSignatureException (bad signature,
 * wrong service, or a clock skew above 5 minutes: "Signature expired"). */
export async function verifySigV4(
  req: IncomingSignedRequest,
  credentials: CredentialMap,
  opts: VerifyOptions = {},
): Promise<VerifiedCaller> {
  const service = opts.service ?? 'kms';
  const now = opts.now ?? new Date();
  const maxSkewMs = opts.maxSkewMs ?? 5 * 60_000;

  const authorization = header(req.headers, 'authorization');
  if (!authorization) {
    throw new WireError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  const auth = parseAuthorization(authorization);
  const amzDateHeader = header(req.headers, 'x-amz-date');
  if (!amzDateHeader) {
    throw new WireError(
      'IncompleteSignatureException',
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  }
  const signingDate = parseAmzDate(amzDateHeader);
  if (!signingDate) {
    throw new WireError('IncompleteSignatureException', `Invalid X-Amz-Date '${amzDateHeader}'.`);
  }
  const credential = credentials.get(auth.accessKeyId);
  if (!credential) {
    throw new WireError(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  }
  if (auth.service !== service) {
    throw new WireError(
      'InvalidSignatureException',
      `Credential should be scoped to correct service: '${service}'.`,
    );
  }
  if (auth.shortDate !== amzDateHeader.slice(0, 8)) {
    throw new WireError(
      'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.shortDate}' != '${amzDateHeader.slice(0, 8)}', from '${amzDateHeader}'.`,
    );
  }
  const signed = auth.signedHeaders.map((h) => h.toLowerCase());
  if (!signed.includes('host')) {
    throw new WireError(
      'InvalidSignatureException',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
  }
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const v = header(req.headers, name);
    if (v !== undefined) headers[name] = v;
  }
  // The signer trusts x-amz-content-sha256 as the payload hash when it is present. AWS KMS
  // authenticates the payload (only S3 accepts UNSIGNED-PAYLOAD), so a signed hash must be the
  // SHA-256 of the body we actually received: a request signed for one body and sent with
  // another, or signed over UNSIGNED-PAYLOAD, fails as a bad signature, as on AWS.
  const claimedHash = headers['x-amz-content-sha256'];
  if (opts.unsignedPayload) {
    if (claimedHash !== 'UNSIGNED-PAYLOAD') throw signatureMismatch();
  } else if (claimedHash !== undefined) {
    const actual = createHash('sha256').update(req.body).digest('hex');
    if (!sameSecret(claimedHash.toLowerCase(), actual)) throw signatureMismatch();
  }
  const { path, query } = splitUrl(req.url);
  const signer = new SignatureV4({
    service,
    region: auth.region,
    sha256: Sha256,
    // Only what the client signed: never add a checksum header of our own.
    applyChecksum: false,
    credentials: {
      accessKeyId: auth.accessKeyId,
      secretAccessKey: credential.secret,
      ...(headers['x-amz-security-token'] !== undefined
        ? { sessionToken: headers['x-amz-security-token'] }
        : {}),
    },
  });
  const resigned = await signer.sign(
    {
      method: req.method,
      protocol: 'http:',
      hostname: (headers.host ?? '').replace(/:\d+$/, ''),
      path,
      query,
      headers,
      body: req.body,
    },
    {
      signingDate,
      signingRegion: auth.region,
      signingService: service,
      signableHeaders: new Set(signed),
    },
  );
  const expected = /Signature=([0-9a-f]+)/.exec(resigned.headers.authorization ?? '')?.[1] ?? '';
  const expectedSigned = /SignedHeaders=([^,]+)/.exec(resigned.headers.authorization ?? '')?.[1];
  if (!sameSecret(auth.signature, expected) || expectedSigned !== [...signed].sort().join(';'))
    throw signatureMismatch();
  const skew = now.getTime() - signingDate.getTime();
  if (skew > maxSkewMs) {
    throw new WireError(
      'InvalidSignatureException',
      `Signature expired: ${amzDateHeader} is now earlier than ${amzDate(new Date(now.getTime() - maxSkewMs))} (${amzDate(now)} - ${maxSkewMs / 60_000} min.)`,
    );
  }
  if (-skew > maxSkewMs) {
    throw new WireError(
      'InvalidSignatureException',
      `Signature not yet current: ${amzDateHeader} is still later than ${amzDate(new Date(now.getTime() + maxSkewMs))} (${amzDate(now)} + ${maxSkewMs / 60_000} min.)`,
    );
  }
  return { accessKeyId: auth.accessKeyId, principal: credential.principal, region: auth.region };
}
