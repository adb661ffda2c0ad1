// The AWS KMS JSON 1.1 wire format: how errors, blobs and dates look on the wire. Kept apart from
// the HTTP plumbing and the operation table so each can be tested on its own.
import { isKmsError } from '../types.js';

/** An error that goes back to the client as `{"__type", "message"}` with AWS's exception name.
 * `status` is 400 for client errors (what AWS KMS uses for nearly everything) and 500 for ours. */
export class WireError extends Error {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status = 400) {
    super(message);
    this.name = 'WireError';
    this.type = type;
    this.status = status;
  }
}

/** Map anything thrown by an operation to what goes on the wire. A `KmsError` keeps its AWS name
 * (the local KMS speaks AWS's vocabulary); anything else is a bug on our side and becomes a 500
 * KMSInternalException whose message hides internals (the server logs the real error). */
export function toWireError(e: unknown): WireError {
  if (e instanceof WireError) return e;
  if (isKmsError(e)) {
    const status = e.code === 'KMSInternalException' ? 500 : 400;
    return new WireError(e.code, e.message, status);
  }
  return new WireError('KMSInternalException', 'An internal error occurred.', 500);
}

export function errorBody(e: WireError): string {
  return JSON.stringify({ __type: e.type, message: e.message });
}

/** AWS JSON protocols carry blobs as standard base64. Strict: anything else is a
 * SerializationException, as on AWS, rather than silently decoding garbage. */
export function decodeBlob(value: unknown, member: string): Uint8Array {
  if (
    typeof value !== 'string' ||
    !/^[A-Za-z0-9+/]*={0,2}$/.test(value) ||
    value.length % 4 !== 0
  ) {
    throw new WireError(
      'SerializationException',
      `Value for ${member} must be a base64-encoded blob`,
    );
  }
  return new Uint8Array(Buffer.from(value, 'base64'));
}

export function encodeBlob(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Timestamps in AWS JSON protocols are epoch seconds (fractions allowed). */
export function epochSeconds(d: Date | undefined): number | undefined {
  return d === undefined ? undefined : d.getTime() / 1000;
}

/** Drop undefined members so responses carry only what is set, like AWS's. */
export function compact<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as Partial<T>;
}
