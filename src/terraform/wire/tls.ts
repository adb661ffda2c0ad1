// The plugin's side of go-plugin's automatic mutual TLS: a fresh self-signed server
// certificate per launch (ECDSA P-256, subject and SAN `localhost`, for server and client
// auth, built with @peculiar/x509), whose DER goes in the handshake line so terraform trusts
// exactly it; and the client certificate terraform passes in PLUGIN_CLIENT_CERT, the only one
// the gRPC server accepts. The private key lives in memory only.

import { webcrypto } from 'node:crypto';
import { installReflectMetadata } from './reflect-metadata.js';

export interface ServerCert {
  certPem: string;
  keyPem: string;
  /** The certificate's DER, base64 without `=` padding, as the handshake line carries it. */
  handshakeField: string;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A new self-signed certificate for `localhost`, valid from an hour ago (clock skew) for a
 * year (a plugin process lives for one terraform command). */
export async function createServerCert(now = new Date()): Promise<ServerCert> {
  installReflectMetadata();
  const x509 = await import('@peculiar/x509');
  // Node's webcrypto is the Crypto @peculiar/x509 wants; the DOM type is not in this project's libs.
  x509.cryptoProvider.set(webcrypto as never);
  const keys = (await webcrypto.subtle.generateKey(ALG, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const serial = Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)));
  serial[0] = serial[0]! & 0x7f; // a positive serial number
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: 'CN=localhost, O=cmek terraform provider',
    notBefore: new Date(now.getTime() - 3600_000),
    notAfter: new Date(now.getTime() + 365 * 86400_000),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature |
          x509.KeyUsageFlags.keyEncipherment |
          x509.KeyUsageFlags.keyCertSign,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
  return {
    certPem: cert.toString('pem'),
    keyPem,
    handshakeField: Buffer.from(cert.rawData).toString('base64').replace(/=+$/, ''),
  };
}
