// A keyring over the Kms seam (after the AWS Encryption SDK's keyring): wraps and unwraps a key
// with one KMS key, always with the encryption context, and records which KMS key and key
// version produced each wrapping so stale wrappings can be found after a rotation. Only
// Encrypt, Decrypt and GenerateDataKey are used: those are the actions the clickhouse profile requires the
// service principal to hold (ReEncrypt is not among them, so rewrap is decrypt + encrypt).
import type { EncryptionContext, Kms } from '../kms/types.js';

/** A key wrapped by a KMS key. `ciphertext` is base64. No plaintext, safe to persist. */
export interface WrappedKey {
  /** ARN (or GCP name) of the KMS key that wrapped it, as the KMS reported it. */
  kmsKeyId: string;
  /** The KMS key version that wrapped it, when the KMS reports one. */
  kmsKeyVersion?: string;
  ciphertext: string;
}

export class KmsKeyring {
  readonly kms: Kms;
  /** The key new wrappings use (key id, ARN or alias: whatever the KMS accepts). */
  readonly kmsKeyId: string;

  constructor(kms: Kms, kmsKeyId: string) {
    this.kms = kms;
    this.kmsKeyId = kmsKeyId;
  }

  /** One GenerateDataKey call: a fresh 32-byte key and its wrapping. */
  async generate(context: EncryptionContext): Promise<{ plaintext: Buffer; wrapped: WrappedKey }> {
    const out = await this.kms.generateDataKey({
      keyId: this.kmsKeyId,
      context,
      numberOfBytes: 32,
    });
    return {
      plaintext: Buffer.from(out.plaintext),
      wrapped: toWrapped(out.keyId, out.keyVersion, out.ciphertextBlob),
    };
  }

  /** One Encrypt call. */
  async wrap(plaintext: Uint8Array, context: EncryptionContext): Promise<WrappedKey> {
    const out = await this.kms.encrypt({ keyId: this.kmsKeyId, plaintext, context });
    return toWrapped(out.keyId, out.keyVersion, out.ciphertextBlob);
  }

  /** One Decrypt call. Passes the recorded key id so the KMS refuses a blob of another key
   * (IncorrectKeyException) rather than decrypting under whatever key the blob names. */
  async unwrap(wrapped: WrappedKey, context: EncryptionContext): Promise<Buffer> {
    const out = await this.kms.decrypt({
      ciphertextBlob: Buffer.from(wrapped.ciphertext, 'base64'),
      context,
      keyId: wrapped.kmsKeyId,
    });
    return Buffer.from(out.plaintext);
  }
}

function toWrapped(kmsKeyId: string, version: string | undefined, blob: Uint8Array): WrappedKey {
  const w: WrappedKey = { kmsKeyId, ciphertext: Buffer.from(blob).toString('base64') };
  if (version !== undefined) w.kmsKeyVersion = version;
  return w;
}
