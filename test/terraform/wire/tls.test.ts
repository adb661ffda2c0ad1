// The plugin's per-launch server certificate (src/terraform/wire/tls.ts), read back by
// node:crypto's X.509 parser and by openssl's rules for self-signed certificates: subject and
// SAN localhost/127.0.0.1, a CA usable for server and client auth, signed by its own key (which
// the PEM key is), valid from an hour ago for a year, and the handshake field is its DER in
// base64 without padding. Each launch gets a new key and serial.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createServerCert } from '../../../src/terraform/wire/tls.js';

describe('the plugin server certificate', () => {
  it('is a self-signed P-256 certificate for localhost, for server and client auth', async () => {
    const now = new Date('2026-06-01T12:00:00Z');
    const c = await createServerCert(now);
    const x = new X509Certificate(c.certPem);
    expect(x.subject).toContain('CN=localhost');
    expect(x.issuer).toBe(x.subject);
    expect(x.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(x.ca).toBe(true);
    expect(x.keyUsage?.sort()).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(c.keyPem))).toBe(true);
    expect(x.publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' });
    expect(new Date(x.validFrom).getTime()).toBe(now.getTime() - 3600_000);
    expect(new Date(x.validTo).getTime()).toBe(now.getTime() + 365 * 86400_000);
    expect(x.checkHost('localhost')).toBe('localhost');
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    // The handshake carries the DER, base64 without `=` padding.
    expect(c.handshakeField).not.toMatch(/=/);
    expect(Buffer.from(c.handshakeField, 'base64').equals(x.raw)).toBe(true);
  });

  it('makes a new key and serial every time', async () => {
    const [a, b] = await Promise.all([createServerCert(), createServerCert()]);
    const xa = new X509Certificate(a.certPem);
    const xb = new X509Certificate(b.certPem);
    expect(xa.serialNumber).not.toBe(xb.serialNumber);
    expect(a.keyPem).not.toBe(b.keyPem);
    expect(xa.publicKey.export({ format: 'der', type: 'spki' })).not.toEqual(
      xb.publicKey.export({ format: 'der', type: 'spki' }),
    );
    // A positive serial whose DER has no padding octet: the first octet is 0x01–0x7f.
    const first = parseInt(xa.serialNumber.slice(0, 2), 16);
    expect(first).toBeGreaterThanOrEqual(1);
    expect(first).toBeLessThanOrEqual(0x7f);
  });
});
