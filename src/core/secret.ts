// A plaintext key held in memory. Wrapping the bytes in a class does three things a bare Buffer
// cannot: it refuses to serialize (JSON, util.inspect, template strings) so key material cannot
// leak into state, logs or output by accident; it can be destroyed (zeroed) when the KMS key
// becomes inaccessible, after which any use throws instead of silently encrypting under zeros;
// and it keeps its own copy, so a caller that zeroes its input does not corrupt the key.
import { inspect } from 'node:util';
import { KeyUnavailableError } from './errors.js';

export class SecretKey {
  #bytes: Buffer | undefined;
  readonly length: number;

  constructor(bytes: Uint8Array) {
    // Own copy outside Node's shared pool, so zeroing it cannot touch unrelated buffers.
    this.#bytes = Buffer.alloc(bytes.length);
    this.#bytes.set(bytes);
    this.length = bytes.length;
  }

  get destroyed(): boolean {
    return this.#bytes === undefined;
  }

  /** Runs `fn` with the key bytes. Callers must not keep the buffer past `fn`. */
  use<T>(fn: (bytes: Buffer) => T): T {
    if (!this.#bytes) throw new KeyUnavailableError('key was purged from memory');
    return fn(this.#bytes);
  }

  /** Zeroes the bytes and makes every later use throw KeyUnavailableError. */
  destroy(): void {
    this.#bytes?.fill(0);
    this.#bytes = undefined;
  }

  toJSON(): string {
    return '[SecretKey]';
  }

  toString(): string {
    return '[SecretKey]';
  }

  [inspect.custom](): string {
    return `SecretKey <${this.destroyed ? 'destroyed' : `${this.length} bytes`}>`;
  }
}
