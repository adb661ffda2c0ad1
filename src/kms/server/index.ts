// `cmek kms serve` as a library: an HTTP server on 127.0.0.1 speaking the AWS KMS JSON 1.1
// protocol (POST /, `X-Amz-Target: TrentService.<Op>`), SigV4 on every request, each access key
// mapped to an IAM principal, and every call handed to the local KMS as that principal (which
// enforces the key policies). Tests and `cmek server` start it in-process; the CLI verb wraps it.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalKms } from '../local/index.js';
import { defaultCredentials, type CredentialMap } from './credentials.js';
import { OPERATIONS } from './operations.js';
import { errorBody, toWireError, WireError } from './protocol.js';
import { verifySigV4 } from './sigv4.js';

export interface KmsServerOptions {
  /** The local KMS to serve (only `client(principal, {region})` is used). */
  kms: Pick<LocalKms, 'client'>;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the server is meant for this machine only. */
  host?: string;
  /** Access keys → {secret, principal}. Default: `test`/`test` as the local account's root. */
  credentials?: CredentialMap;
  /** Largest accepted request body. AWS KMS requests are small (plaintext ≤ 4 KiB, policies
   * ≤ 32 KiB); default 1 MiB. */
  maxBodyBytes?: number;
  /** One line per request (operation, principal, outcome; never payloads). */
  log?: (line: string) => void;
}

export interface KmsServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** Stop accepting, drop idle keep-alive connections, resolve when closed. */
  close(): Promise<void>;
}

const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'TrentService.';

class BodyTooLarge extends Error {}

/** The client went away before its request was read: nothing to answer, and not our failure. */
class ClientClosed extends Error {}

/** Read the body, counting bytes. An oversize body is drained (not buffered) so the client gets
 * our error response instead of a reset connection. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => (tooLarge ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks))));
    // Node reports a client that disconnects mid-body as an 'error' ("aborted", ECONNRESET) or,
    // depending on timing, only as 'close' before 'end'.
    req.on('error', () => reject(new ClientClosed()));
    req.on('close', () => {
      if (!req.complete) reject(new ClientClosed());
    });
  });
}

function send(res: ServerResponse, status: number, body: string, requestId: string): void {
  res.writeHead(status, {
    'content-type': JSON_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
  });
  res.end(body);
}

/** The KMS wire protocol as a request handler, for a server of its own (startKmsServer) or one
 * shared with the control plane (`cmek server --listen`, src/service/remote/server.ts). */
export function kmsRequestHandler(
  opts: Omit<KmsServerOptions, 'port' | 'host'>,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const credentials = opts.credentials ?? defaultCredentials();
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const log = opts.log;

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    let operation = '-';
    let principal = '-';
    try {
      let body: Buffer;
      try {
        body = await readBody(req, maxBody);
      } catch (e) {
        if (e instanceof BodyTooLarge) {
          throw new WireError(
            'ValidationException',
            `Request body exceeds the ${maxBody}-byte limit of cmek kms serve`,
            413,
          );
        }
        throw e;
      }
      if (req.method !== 'POST') {
        throw new WireError(
          'UnknownOperationException',
          `cmek kms serve accepts only POST / (got ${req.method})`,
        );
      }
      const caller = await verifySigV4(
        { method: req.method, url: req.url ?? '/', headers: req.headers, body },
        credentials,
      );
      principal = caller.principal;
      const target = req.headers['x-amz-target'];
      const name =
        typeof target === 'string' && target.startsWith(TARGET_PREFIX)
          ? target.slice(TARGET_PREFIX.length)
          : undefined;
      const handler =
        name !== undefined && Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined;
      if (!handler || name === undefined) {
        throw new WireError(
          'UnknownOperationException',
          `Unknown operation ${typeof target === 'string' ? target : '(no X-Amz-Target header)'}`,
        );
      }
      operation = name;
      const contentType = String(req.headers['content-type'] ?? '');
      if (!/^application\/x-amz-json-1\.[01]\b/.test(contentType)) {
        throw new WireError(
          'SerializationException',
          `Content-Type must be ${JSON_CONTENT_TYPE} (got '${contentType}')`,
        );
      }
      let input: unknown = {};
      if (body.length > 0) {
        try {
          input = JSON.parse(body.toString('utf8'));
        } catch {
          throw new WireError('SerializationException', 'Request body is not valid JSON');
        }
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw new WireError(
          'SerializationException',
          'Start of structure or map found where not expected.',
        );
      }
      const client = opts.kms.client(caller.principal, { region: caller.region });
      const output = await handler({ client, region: caller.region, principal }, input);
      send(res, 200, JSON.stringify(output), requestId);
      log?.(`${operation} ${principal} 200`);
    } catch (e) {
      if (e instanceof ClientClosed) {
        // One line, no stack and no 500: the client hung up, the server did nothing wrong.
        // Only a known operation name reaches the log, never what the header says verbatim.
        const target = String(req.headers['x-amz-target'] ?? '');
        const name = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
        const op = Object.hasOwn(OPERATIONS, name) ? name : 'the request';
        log?.(`client closed the connection during ${op}`);
        res.destroy();
        return;
      }
      const err = toWireError(e);
      if (err.status >= 500) {
        // A bug or I/O failure on our side: log it (the client only sees a generic message).
        log?.(`${operation} ${principal} ${err.status} ${(e as Error)?.stack ?? String(e)}`);
      } else {
        log?.(`${operation} ${principal} ${err.status} ${err.type}`);
      }
      if (!res.headersSent) send(res, err.status, errorBody(err), requestId);
      else res.destroy();
    }
  };
}

export async function startKmsServer(opts: KmsServerOptions): Promise<KmsServer> {
  const handle = kmsRequestHandler(opts);
  return listenHttp((req, res) => void handle(req, res), opts.host, opts.port);
}

/** An HTTP server for `handler` on HOST:PORT (default 127.0.0.1, any free port), resolved once
 * it listens; a malformed request gets a 400 and never takes the process down. Shared by the KMS
 * server and `cmek server --listen`. */
export async function listenHttp(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host = '127.0.0.1',
  port = 0,
): Promise<KmsServer> {
  const server = createServer(handler);
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

export { defaultCredentials, loadCredentials, parseCredentials } from './credentials.js';
export type { CredentialMap, PrincipalCredential } from './credentials.js';
export { keyMetadataToWire, OPERATION_NAMES } from './operations.js';
export { WireError } from './protocol.js';
export { verifySigV4 } from './sigv4.js';
export type { VerifiedCaller } from './sigv4.js';
