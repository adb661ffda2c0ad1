// The local KMS's cryptography: new key material (symmetric, or an asymmetric pair's private
// key) sealed under the root key by the keystore files (store.ts), and the Encrypt/Decrypt of
// ciphertext blobs (blob.ts format) under a key version's material. The caller has resolved
// and authorized the key; nothing here reads or writes the keystore.
import { createCipheriv, createDecipheriv, generateKeyPair, randomBytes } from 'node:crypto';
import {
  KmsError,
  type DecryptOutput,
  type EncryptOutput,
  type EncryptionContext,
} from '../types.js';
import { buildBlobHeader, encodeContextAad, IV_BYTES, TAG_BYTES, type BlobHeader } from './blob.js';
import { invalidState } from './errors.js';
import type { KeystoreFiles, StoredKey } from './store.js';
import type { DataKeyPairSpec, LocalKeySpec } from './types.js';

/** Encrypt `plaintext` under the key's primary version into a blob bound to `ctx`. */
export function sealBlob(
  files: KeystoreFiles,
  key: StoredKey,
  plaintext: Uint8Array,
  ctx?: EncryptionContext,
): EncryptOutput {
  const v = key.versions.find((x) => x.version === key.primaryVersion);
  if (!v?.sealed) throw invalidState(key);
  const material = files.unseal(key.keyId, v.version, v.sealed);
  const iv = randomBytes(IV_BYTES);
  const header = buildBlobHeader(key.arn, v.version, iv);
  const c = createCipheriv('aes-256-gcm', material, iv);
  c.setAAD(Buffer.concat([header, encodeContextAad(ctx)]));
  const blob = Buffer.concat([header, c.update(plaintext), c.final(), c.getAuthTag()]);
  return { keyId: key.arn, keyVersion: String(v.version), ciphertextBlob: new Uint8Array(blob) };
}

/** Decrypt a parsed blob with the version of `key` it names (bound to `ctx`). */
export function openBlob(
  files: KeystoreFiles,
  key: StoredKey,
  h: BlobHeader,
  ctx: EncryptionContext | undefined,
): DecryptOutput & { plaintext: Buffer } {
  const v = key.versions.find((x) => x.version === h.version);
  if (!v) throw new KmsError('InvalidCiphertextException', 'The ciphertext is invalid.');
  if (!v.sealed)
    throw new KmsError(
      'KMSInvalidStateException',
      `${key.arn} version ${v.version} has been destroyed`,
    );
  const material = files.unseal(key.keyId, v.version, v.sealed);
  const d = createDecipheriv('aes-256-gcm', material, h.iv);
  d.setAAD(Buffer.concat([h.header, encodeContextAad(ctx)]));
  d.setAuthTag(h.body.subarray(h.body.length - TAG_BYTES));
  let plaintext: Buffer;
  try {
    plaintext = Buffer.concat([d.update(h.body.subarray(0, h.body.length - TAG_BYTES)), d.final()]);
  } catch {
    throw new KmsError(
      'InvalidCiphertextException',
      'The ciphertext failed authentication: it was altered, or the encryption context differs.',
    );
  }
  return { keyId: key.arn, keyVersion: String(v.version), plaintext };
}

/** A new version of a key: fresh material (32 random bytes, or a key pair's private key)
 * sealed under the root key; the plaintext is zeroed. */
export async function newVersion(
  files: KeystoreFiles,
  keyId: string,
  version: number,
  spec: LocalKeySpec,
  createdAt: string,
): Promise<StoredKey['versions'][number]> {
  if (spec === 'SYMMETRIC_DEFAULT') {
    const m = randomBytes(32);
    await files.ready();
    const sealed = files.seal(keyId, version, m);
    m.fill(0);
    return { version, createdAt, sealed };
  }
  const pair = await newKeyPair(spec);
  await files.ready();
  const sealed = files.seal(keyId, version, pair.privateKey);
  pair.privateKey.fill(0);
  return { version, createdAt, sealed, publicKey: pair.publicKey.toString('base64') };
}

/** A DER key pair (SPKI public key, PKCS#8 private key). */
export async function newKeyPair(
  spec: DataKeyPairSpec,
): Promise<{ publicKey: Buffer; privateKey: Buffer }> {
  const enc = {
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  } as const;
  // Async generation: an RSA-2048 pair takes tens of milliseconds, too long to block the loop.
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, publicKey: Buffer, privateKey: Buffer) =>
      err ? reject(err) : resolve({ publicKey, privateKey });
    if (spec === 'RSA_2048') generateKeyPair('rsa', { modulusLength: 2048, ...enc }, done);
    else generateKeyPair('ec', { namedCurve: 'P-256', ...enc }, done);
  });
}
