// Hash and crypto functions: md5, sha1, sha256, sha512 (hex), base64sha256 / base64sha512, their
// file* twins (files read relative to the module directory), uuid and uuidv5.

import { createHash, randomUUID } from 'node:crypto';
import { readModuleFile } from './filesystem.js';
import { argError, family, str, type Call, type Impl } from './support.js';

type Algorithm = 'md5' | 'sha1' | 'sha256' | 'sha512';

function hashOf(alg: Algorithm, encoding: 'hex' | 'base64', file: boolean): Impl {
  return ([s], c: Call) => {
    const data = file ? readModuleFile(str(s!, c, 0), c, 0) : Buffer.from(str(s!, c, 0), 'utf8');
    return createHash(alg).update(data).digest(encoding);
  };
}

const NAMESPACES: Record<string, string> = {
  dns: '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
  url: '6ba7b811-9dad-11d1-80b4-00c04fd430c8',
  oid: '6ba7b812-9dad-11d1-80b4-00c04fd430c8',
  x500: '6ba7b814-9dad-11d1-80b4-00c04fd430c8',
};

function uuidv5(namespace: string, name: string, c: Call): string {
  const ns = NAMESPACES[namespace] ?? namespace;
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ns))
    return argError(c, 0, `uuidv5() doesn't support namespace ${namespace}`);
  const h = createHash('sha1')
    .update(Buffer.from(ns.replace(/-/g, ''), 'hex'))
    .update(Buffer.from(name, 'utf8'))
    .digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export const CRYPTO_FUNCTIONS = family('crypto', {
  md5: ['md5(str)', 'the MD5 hash of the string, hex', hashOf('md5', 'hex', false)],
  sha1: ['sha1(str)', 'the SHA-1 hash of the string, hex', hashOf('sha1', 'hex', false)],
  sha256: ['sha256(str)', 'the SHA-256 hash of the string, hex', hashOf('sha256', 'hex', false)],
  sha512: ['sha512(str)', 'the SHA-512 hash of the string, hex', hashOf('sha512', 'hex', false)],
  base64sha256: [
    'base64sha256(str)',
    'the SHA-256 hash of the string, Base64',
    hashOf('sha256', 'base64', false),
  ],
  base64sha512: [
    'base64sha512(str)',
    'the SHA-512 hash of the string, Base64',
    hashOf('sha512', 'base64', false),
  ],
  filemd5: ['filemd5(path)', 'the MD5 hash of a file, hex', hashOf('md5', 'hex', true)],
  filesha1: ['filesha1(path)', 'the SHA-1 hash of a file, hex', hashOf('sha1', 'hex', true)],
  filesha256: [
    'filesha256(path)',
    'the SHA-256 hash of a file, hex',
    hashOf('sha256', 'hex', true),
  ],
  filesha512: [
    'filesha512(path)',
    'the SHA-512 hash of a file, hex',
    hashOf('sha512', 'hex', true),
  ],
  filebase64sha256: [
    'filebase64sha256(path)',
    'the SHA-256 hash of a file, Base64',
    hashOf('sha256', 'base64', true),
  ],
  filebase64sha512: [
    'filebase64sha512(path)',
    'the SHA-512 hash of a file, Base64',
    hashOf('sha512', 'base64', true),
  ],
  uuid: ['uuid()', 'a random UUID (version 4), different at every evaluation', () => randomUUID()],
  uuidv5: [
    'uuidv5(namespace, name)',
    'the name-based UUID (version 5) of `name` in a namespace (`dns`, `url`, `oid`, `x500` or a UUID)',
    ([ns, n], c) => uuidv5(str(ns!, c, 0), str(n!, c, 1), c),
  ],
});
