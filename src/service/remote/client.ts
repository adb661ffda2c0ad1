// The remote control plane: ControlPlaneApi over HTTP to `cmek server --listen`, every request
// signed with SigV4 (the signer of the AWS SDK, @smithy/signature-v4) and carrying a fresh nonce.
// Its methods are built from the operation list (operations.ts), the one the server routes by.
// Object bodies stream both ways: an upload is sent chunked as it is read, a download is handed
// to the caller as it arrives, and a connection cut in the middle errors the stream (never a
// short object taken as whole).
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { diag, DiagnosticError, type Diagnostic } from '../../model/diagnostics.js';
import type { ControlPlaneApi } from '../api.js';
import {
  ARGS_HEADER,
  NONCE_HEADER,
  OPERATIONS,
  ROUTE_PREFIX,
  SIGNING_SERVICE,
  type Operation,
} from './operations.js';
import { encodeArgs } from './wire.js';

export interface RemoteControlPlaneOptions {
  /** The server's URL, e.g. `http://10.0.0.5:8300` or `https://cmek.example.com/`. */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Region of the signature scope (any; default us-east-1). */
  region?: string;
}

export function unavailable(endpoint: string, why: string): DiagnosticError {
  return new DiagnosticError(
    diag(
      'SERVER_UNAVAILABLE',
      `cmek server at ${endpoint} is unavailable: ${why}`,
      "Check that `cmek server --listen` runs at the provider block's endpoint (it prints " +
        '"listening on URL") and that nothing between changes the requests. See docs/team.md.',
    ),
  );
}

async function readAll(res: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of res) parts.push(c as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function sha256Hex(body: string): string {
  return createHash('sha256').update(body).digest('hex');
}

/** A ControlPlaneApi that drives the control plane of a `cmek server`. */
export function remoteControlPlane(opts: RemoteControlPlaneOptions): ControlPlaneApi {
  const endpoint = opts.endpoint.replace(/\/+$/, '');
  const base = new URL(endpoint);
  const signer = new SignatureV4({
    service: SIGNING_SERVICE,
    region: opts.region ?? 'us-east-1',
    sha256: Sha256,
    applyChecksum: false,
    credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey },
  });

  /** Send one request; resolves with the response once its headers are in. */
  async function send(
    op: Operation,
    body: string | Readable,
    extra: Record<string, string> = {},
  ): Promise<IncomingMessage> {
    const path = `${base.pathname.replace(/\/+$/, '')}${ROUTE_PREFIX}${op.name}`;
    const streamed = typeof body !== 'string';
    const headers: Record<string, string> = {
      host: base.host,
      'content-type': streamed ? 'application/octet-stream' : 'application/json',
      [NONCE_HEADER]: randomBytes(16).toString('hex'),
      'x-amz-content-sha256': streamed ? 'UNSIGNED-PAYLOAD' : sha256Hex(body),
      ...extra,
    };
    if (!streamed) headers['content-length'] = String(Buffer.byteLength(body));
    const signed = await signer.sign({
      method: streamed ? 'PUT' : 'POST',
      protocol: base.protocol,
      hostname: base.hostname,
      ...(base.port ? { port: Number(base.port) } : {}),
      path,
      query: {},
      headers,
      ...(streamed ? {} : { body }),
    });
    const request = base.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request({
      protocol: base.protocol,
      hostname: base.hostname,
      port: base.port || undefined,
      method: signed.method,
      path,
      headers: signed.headers,
    });
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
    });
    let bodyError: unknown;
    if (streamed) {
      // The body's own failure (an unreadable file, Ctrl-C) wins over the request's.
      pipeline(body, req).catch((e: unknown) => {
        bodyError ??= e;
        req.destroy(e as Error);
      });
    } else {
      req.end(body);
    }
    try {
      return await response;
    } catch (e) {
      if (bodyError !== undefined && body instanceof Readable && body.errored) throw bodyError;
      const code = (e as NodeJS.ErrnoException).code;
      throw unavailable(endpoint, code ? `${code} (${(e as Error).message})` : String(e));
    }
  }

  /** A non-200 answer: the server's diagnostics, or SERVER_UNAVAILABLE for anything else. */
  async function failure(res: IncomingMessage): Promise<never> {
    const text = await readAll(res).catch(() => '');
    let diagnostics: Diagnostic[] | undefined;
    try {
      diagnostics = (JSON.parse(text) as { diagnostics?: Diagnostic[] }).diagnostics;
    } catch {
      diagnostics = undefined;
    }
    if (Array.isArray(diagnostics) && diagnostics.length) throw new DiagnosticError(diagnostics);
    throw unavailable(endpoint, `HTTP ${res.statusCode ?? '?'} ${text.slice(0, 120)}`);
  }

  async function json(res: IncomingMessage): Promise<unknown> {
    if (res.statusCode !== 200) return failure(res);
    const text = await readAll(res).catch((e: unknown) => {
      throw unavailable(endpoint, `the answer was cut: ${String(e)}`);
    });
    try {
      return (JSON.parse(text) as { result?: unknown }).result;
    } catch {
      throw unavailable(endpoint, 'the answer is not JSON');
    }
  }

  async function call(op: Operation, args: unknown[]): Promise<unknown> {
    if (op.kind === 'upload') {
      const [service, name, body] = args as [string, string, Readable | Uint8Array | string];
      const stream = body instanceof Readable ? body : Readable.from([Buffer.from(body)]);
      const res = await send(op, stream, { [ARGS_HEADER]: encodeArgs([service, name], true) });
      return json(res);
    }
    const sent = op.send ? op.send(args) : args;
    const res = await send(op, encodeArgs(sent, false));
    if (op.kind === 'download') {
      if (res.statusCode !== 200) return failure(res);
      const out = new PassThrough();
      pipeline(res, out).catch((e: unknown) => {
        out.destroy(unavailable(endpoint, `the object stream was cut: ${String(e)}`));
      });
      return out;
    }
    const wire = await json(res);
    return op.receive ? op.receive(wire, args) : wire;
  }

  const root: Record<string, unknown> = { location: endpoint };
  for (const op of OPERATIONS) {
    const parts = op.name.split('.');
    let target = root;
    for (const p of parts.slice(0, -1)) target = (target[p] ??= {}) as Record<string, unknown>;
    target[parts[parts.length - 1]!] = (...args: unknown[]) => call(op, args);
  }
  return root as unknown as ControlPlaneApi;
}
