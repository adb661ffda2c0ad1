// rsadecrypt: terraform's RSA PKCS #1 v1.5 decryption of a Base64 ciphertext with a PEM private
// key given as an argument. Node refuses PKCS #1 v1.5 padding in privateDecrypt, so the
// arithmetic is done here (m = c^d mod n, then the padding is checked and removed) from the key
// node:crypto parsed. As in terraform, the result is an ordinary value: it is sensitive only
// when an argument is (a key from a sensitive variable), and cmek writes it only where it writes
// any other value of the configuration.

import { createPrivateKey } from 'node:crypto';
import { decodeBase64 } from './encoding.js';
import { argError, callError, family, str } from './support.js';

function bigint(b64url: string): bigint {
  return BigInt(`0x${Buffer.from(b64url, 'base64url').toString('hex') || '0'}`);
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

/** The message of a PKCS #1 v1.5 encryption block, or undefined when the block is not one. */
function unpad(em: Buffer): Buffer | undefined {
  if (em[0] !== 0 || em[1] !== 2) return undefined;
  const zero = em.indexOf(0, 2);
  if (zero < 10) return undefined;
  return em.subarray(zero + 1);
}

export const RSA_FUNCTIONS = family('crypto', {
  rsadecrypt: [
    'rsadecrypt(ciphertext, privatekey)',
    'the text of a Base64 RSA (PKCS #1 v1.5) ciphertext, decrypted with a PEM private key; not marked sensitive unless an argument is, as in terraform',
    ([ct, pk], c) => {
      const text = str(ct!, c, 0);
      const bytes = decodeBase64(text);
      if (!bytes)
        return argError(
          c,
          0,
          `failed to decode input "${text}": cipher text must be base64-encoded`,
        );
      let jwk: { kty?: string; n?: string; d?: string };
      try {
        jwk = createPrivateKey(str(pk!, c, 1)).export({ format: 'jwk' });
      } catch {
        return argError(c, 1, 'invalid private key: no RSA private key found in the PEM text');
      }
      if (jwk.kty !== 'RSA' || !jwk.n || !jwk.d)
        return argError(c, 1, 'invalid private key: not an RSA private key');
      const n = bigint(jwk.n);
      const k = Buffer.from(jwk.n, 'base64url').length;
      const cipher = BigInt(`0x${bytes.toString('hex') || '0'}`);
      const fail = () => callError(c, 'failed to decrypt: crypto/rsa: decryption error');
      if (bytes.length > k || cipher >= n) return fail();
      const m = modPow(cipher, bigint(jwk.d), n)
        .toString(16)
        .padStart(k * 2, '0');
      const message = unpad(Buffer.from(m, 'hex'));
      if (!message) return fail();
      return message.toString('utf8');
    },
  ],
});
