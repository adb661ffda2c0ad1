// Helpers for the wire-server tests: sign and send raw AWS JSON 1.1 requests (so tests can
// forge bad signatures, skewed clocks and malformed bodies that no SDK would send).
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: Record<string, unknown>;
}

export interface SendOptions {
  accessKeyId?: string;
  secret?: string;
  region?: string;
  service?: string;
  date?: Date;
  /** Sign this body but send `sendBody` instead (tampering). */
  sendBody?: string | Buffer;
  contentType?: string;
  method?: string;
  unsigned?: boolean;
  extraHeaders?: Record<string, string>;
}

export async function sendRaw(
  url: string,
  target: string | undefined,
  body: string | Buffer,
  o: SendOptions = {},
): Promise<RawResponse> {
  const u = new URL(url);
  const headers: Record<string, string> = {
    host: u.host,
    'content-type': o.contentType ?? 'application/x-amz-json-1.1',
    ...(target ? { 'x-amz-target': target } : {}),
    ...o.extraHeaders,
  };
  let finalHeaders = headers;
  if (!o.unsigned) {
    const signer = new SignatureV4({
      service: o.service ?? 'kms',
      region: o.region ?? 'us-east-1',
      sha256: Sha256,
      applyChecksum: false,
      credentials: { accessKeyId: o.accessKeyId ?? 'test', secretAccessKey: o.secret ?? 'test' },
    });
    const signed = await signer.sign(
      {
        method: o.method ?? 'POST',
        protocol: 'http:',
        hostname: u.hostname,
        port: Number(u.port),
        path: '/',
        query: {},
        headers,
        body,
      },
      { signingDate: o.date ?? new Date() },
    );
    finalHeaders = signed.headers;
  }
  const payload = o.sendBody ?? body;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method: o.method ?? 'POST',
        host: u.hostname,
        port: u.port,
        path: '/',
        headers: { ...finalHeaders, 'content-length': String(Buffer.byteLength(payload)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // left empty: tests assert on body/status for non-JSON answers
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
