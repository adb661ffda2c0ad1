// The control plane over HTTP: what `cmek server --listen` serves. Routes are the operations of
// operations.ts under `/cp/v1/`; every request is authenticated with SigV4 by the KMS server's
// verifier and credentials file (src/kms/server), signed for the service `cmek` and carrying a
// fresh nonce, so a captured request cannot be replayed. With the local KMS, the AWS KMS wire
// protocol is served on the same port (anything outside `/cp/v1/`), so remote clients use it as
// their KMS. Object bodies stream both ways with backpressure (memory stays bounded whatever the
// object size); an upload cut short fails inside the object store, which never renames a partial
// body into place. Concurrent requests are serialized where they must be by the control plane's
// own locks, exactly as concurrent processes on one data directory are.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { diag, DiagnosticError, type Diagnostic } from '../../model/diagnostics.js';
import { isKmsError } from '../../kms/types.js';
import type { LocalKms } from '../../kms/local/index.js';
import {
  defaultCredentials,
  kmsRequestHandler,
  listenHttp,
  verifySigV4,
  WireError,
  type CredentialMap,
} from '../../kms/server/index.js';
import type { ControlPlaneApi } from '../api.js';
import {
  ARGS_HEADER,
  methodOf,
  NONCE_HEADER,
  operationNamed,
  ROUTE_PREFIX,
  SIGNING_SERVICE,
  type Operation,
} from './operations.js';
import { decodeArgs } from './wire.js';

export interface ControlPlaneServerOptions {
  /** The control plane served (the embedded one of the server's data directory). */
  cp: ControlPlaneApi;
  /** Access keys → {secret, principal}: the KMS server's file format. Default `test`/`test`. */
  credentials?: CredentialMap;
  /** Serve this local KMS's wire protocol on the same port (requests outside `/cp/v1/`). */
  kms?: Pick<LocalKms, 'client'>;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** One line per refused request, failure and client that went away (never payloads). */
  log?: (line: string) => void;
  /** Server clock for the signature window (tests). */
  now?: () => Date;
  /** Largest JSON request body (default 1 MiB); object bodies are streamed, not limited. */
  maxJsonBytes?: number;
}

export interface ControlPlaneServer {
  /** `http://HOST:PORT` */
  url: string;
  port: number;
  close(): Promise<void>;
}

const SKEW_MS = 5 * 60_000;

/** KMS request log lines worth stderr: authentication refusals, 5xx, clients gone. */
const KMS_LOGGED =
  / (MissingAuthenticationTokenException|IncompleteSignatureException|UnrecognizedClientException|InvalidSignatureException)$| 5\d\d |client closed/;

class ClientClosed extends Error {}
class TooLarge extends Error {}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
    });
    req.on('end', () => (size > max ? reject(new TooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', () => reject(new ClientClosed()));
    req.on('close', () => {
      if (!req.complete) reject(new ClientClosed());
    });
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown, close = false): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(body);
}

function sendDiagnostics(
  res: ServerResponse,
  status: number,
  diagnostics: Diagnostic[],
  close = false,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { diagnostics }, close);
}

/** Signatures seen within the signature window: a second use is a replay. Bounded: entries
 * expire with the window, and the oldest go first past `max`. */
class ReplayGuard {
  readonly #seen = new Map<string, number>();
  constructor(readonly max = 200_000) {}
  /** false when `signature` was already used. */
  admit(signature: string, nowMs: number): boolean {
    if (this.#seen.has(signature)) return false;
    for (const [k, exp] of this.#seen) {
      if (exp > nowMs && this.#seen.size < this.max) break;
      this.#seen.delete(k);
    }
    // Valid up to SKEW_MS after its date, which itself may be SKEW_MS ahead of our clock.
    this.#seen.set(signature, nowMs + 2 * SKEW_MS + 1000);
    return true;
  }
}

function refusal(message: string): Diagnostic {
  return diag(
    'SERVER_AUTH_FAILED',
    `cmek server refused the request: ${message}`,
    'Sign requests with an access key and secret of the credentials file the server runs with ' +
      '(provider "cmek" access_key/secret_key, or CMEK_ACCESS_KEY_ID/CMEK_SECRET_ACCESS_KEY), ' +
      'and keep the client and server clocks within 5 minutes. See docs/team.md.',
  );
}

/** What the client gets for an operation's failure. */
function failureOf(e: unknown): { status: number; diagnostics: Diagnostic[]; ours: boolean } {
  if (e instanceof DiagnosticError) return { status: 400, diagnostics: e.diagnostics, ours: false };
  if (isKmsError(e)) {
    return {
      status: 400,
      diagnostics: [
        diag('KMS_ERROR', `KMS error: ${e.code}: ${e.message}`, 'See the KMS message.'),
      ],
      ours: false,
    };
  }
  return {
    status: 500,
    diagnostics: [
      diag(
        'INTERNAL',
        'cmek server failed to carry out the request',
        'The server logged the error on its stderr. Report it with that log line.',
      ),
    ],
    ours: true,
  };
}

export async function startControlPlaneServer(
  opts: ControlPlaneServerOptions,
): Promise<ControlPlaneServer> {
  const credentials = opts.credentials ?? defaultCredentials();
  const log = opts.log ?? (() => {});
  const now = opts.now ?? (() => new Date());
  const maxJson = opts.maxJsonBytes ?? 1024 * 1024;
  const replays = new ReplayGuard();
  const kms = opts.kms
    ? kmsRequestHandler({
        kms: opts.kms,
        credentials,
        // Refusals and our own failures only: a NotFoundException is an ordinary answer.
        log: (l) => {
          if (KMS_LOGGED.test(l)) log(`kms: ${l}`);
        },
      })
    : undefined;

  async function authenticate(
    req: IncomingMessage,
    op: Operation,
    body: Uint8Array,
  ): Promise<string> {
    const caller = await verifySigV4(
      { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body },
      credentials,
      { service: SIGNING_SERVICE, now: now(), unsignedPayload: op.kind === 'upload' },
    );
    const auth = String(req.headers.authorization);
    const signed = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? [];
    if (!signed.includes(NONCE_HEADER) || !req.headers[NONCE_HEADER]) {
      throw new WireError('IncompleteSignatureException', `${NONCE_HEADER} must be signed`);
    }
    // An upload's arguments (which service, which object) travel in a header: signed too.
    if (op.kind === 'upload' && !signed.includes(ARGS_HEADER)) {
      throw new WireError('IncompleteSignatureException', `${ARGS_HEADER} must be signed`);
    }
    const signature = /Signature=([0-9a-f]+)/.exec(auth)?.[1] ?? '';
    if (!replays.admit(signature, now().getTime())) {
      throw new WireError('InvalidSignatureException', 'this signed request was already used');
    }
    return caller.principal;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const from = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    if (!path.startsWith(ROUTE_PREFIX)) {
      if (kms) return kms(req, res);
      req.resume();
      sendDiagnostics(res, 404, [
        diag(
          'SERVER_UNAVAILABLE',
          `cmek server has no route ${path}`,
          'Control-plane requests go to /cp/v1/OPERATION; the KMS protocol is served only when ' +
            'the server runs on the local KMS.',
        ),
      ]);
      return;
    }
    const name = path.slice(ROUTE_PREFIX.length);
    const op = operationNamed(name);
    const expected = op?.kind === 'upload' ? 'PUT' : 'POST';
    if (!op || req.method !== expected) {
      req.resume();
      sendDiagnostics(res, 404, [
        diag(
          'SERVER_UNAVAILABLE',
          `cmek server has no operation ${req.method ?? ''} ${name}`,
          'The client and the server may be different cmek versions: use the same on both.',
        ),
      ]);
      return;
    }
    let body: Buffer = Buffer.alloc(0);
    try {
      if (op.kind !== 'upload') body = await readBody(req, maxJson);
    } catch (e) {
      if (e instanceof ClientClosed) return void log(`client ${from} closed the connection`);
      sendDiagnostics(res, 413, [
        diag('USAGE', `Request body over ${maxJson} bytes`, 'Arguments are small JSON values.'),
      ]);
      return;
    }
    let principal: string;
    try {
      principal = await authenticate(req, op, body);
    } catch (e) {
      const message = e instanceof WireError ? `${e.type}: ${e.message}` : String(e);
      log(`refused ${name} from ${from}: ${message}`);
      // An unauthenticated upload is not read: the connection closes after the answer.
      sendDiagnostics(res, 403, [refusal(message)], op.kind === 'upload');
      if (op.kind === 'upload') res.on('finish', () => req.destroy());
      return;
    }
    try {
      const args = decodeArgs(
        op.kind === 'upload' ? req.headers[ARGS_HEADER] : body.toString('utf8'),
        op.kind === 'upload',
      );
      if (op.kind === 'upload') {
        // The request itself is the body: the put copies each of the socket's small reads into
        // the batch it is gathering as it arrives, and fails if the client goes away before
        // the end.
        const info = await methodOf(opts.cp, name)(args[0], args[1], req);
        sendJson(res, 200, { result: info });
      } else if (op.kind === 'download') {
        const stream = (await methodOf(opts.cp, name)(...args)) as NodeJS.ReadableStream;
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        try {
          await pipeline(stream, res);
        } catch (e) {
          // Headers are gone: the client sees the connection cut, never a short body as whole.
          if (!res.writableFinished) res.destroy();
          if (!req.socket.destroyed) log(`${name} by ${principal} failed mid-stream: ${String(e)}`);
        }
      } else {
        const result = op.serve
          ? await op.serve(opts.cp, args)
          : await methodOf(opts.cp, name)(...args);
        sendJson(res, 200, result === undefined ? {} : { result });
      }
    } catch (e) {
      if (op.kind === 'upload' && !req.complete) {
        // The client went away mid-upload: the object store discarded the partial body.
        log(`client ${from} (${principal}) closed the connection during ${name}; nothing written`);
        res.destroy();
        return;
      }
      const f = failureOf(e);
      if (f.ours) log(`${name} by ${principal} failed: ${(e as Error)?.stack ?? String(e)}`);
      sendDiagnostics(res, f.status, f.diagnostics);
    }
  }

  return listenHttp(
    (req, res) => {
      void handle(req, res).catch((e: unknown) => {
        log(`request failed: ${(e as Error)?.stack ?? String(e)}`);
        if (!res.headersSent) sendDiagnostics(res, 500, failureOf(e).diagnostics);
        else res.destroy();
      });
    },
    opts.host,
    opts.port,
  );
}
