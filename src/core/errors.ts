// Typed failures of the encryption core. Integrity failures are one class with one stable code
// (CMEK_INTEGRITY) whatever the cause, because a caller must treat a flipped bit, a truncation
// and a wrong key the same way: the bytes are not to be trusted. `reason` is for logs and tests,
// not for control flow.
import { diag, type Diagnostic } from '../model/diagnostics.js';

export type IntegrityReason =
  | 'header' // malformed header: bad magic, unknown version/suite, bad lengths
  | 'unknown-dek' // the header names a data key the key set does not hold
  | 'chunk' // a chunk failed authentication (tamper, reorder, wrong key or context)
  | 'truncated' // the object ends before its final chunk
  | 'trailing' // bytes after the final chunk
  | 'wrapped-key'; // a wrapped data key failed authentication under the service key

export class IntegrityError extends Error {
  readonly code = 'CMEK_INTEGRITY' as const;
  readonly reason: IntegrityReason;
  constructor(reason: IntegrityReason, message: string) {
    super(message);
    this.name = 'IntegrityError';
    this.reason = reason;
  }

  toDiagnostic(extra: Partial<Omit<Diagnostic, 'code' | 'summary' | 'detail'>> = {}): Diagnostic {
    return diag(
      'CMEK_INTEGRITY',
      'encrypted data failed authentication',
      `${this.message}\nThe ciphertext was modified, truncated, or is being read with the wrong key ` +
        'or encryption context. Plaintext is released only chunk by chunk once each chunk ' +
        'authenticates: nothing from the failing chunk on was returned. Restore the object from a backup.',
      extra,
    );
  }
}

export function isIntegrityError(e: unknown): e is IntegrityError {
  return e instanceof IntegrityError;
}

/** A key was used after the cache purged it (the KMS key became inaccessible): fail closed. */
export class KeyUnavailableError extends Error {
  readonly code = 'CMEK_KEY_INACCESSIBLE' as const;
  constructor(message: string) {
    super(message);
    this.name = 'KeyUnavailableError';
  }

  toDiagnostic(extra: Partial<Omit<Diagnostic, 'code' | 'summary' | 'detail'>> = {}): Diagnostic {
    return diag(
      'CMEK_KEY_INACCESSIBLE',
      'data key is no longer available',
      `${this.message}\nThe KMS key protecting this data became inaccessible and its cached data ` +
        'keys were purged. Restore access to the KMS key, then retry.',
      extra,
    );
  }
}
