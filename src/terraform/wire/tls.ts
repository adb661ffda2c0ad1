// The plugin's side of go-plugin's automatic mutual TLS: a fresh self-signed server
// certificate per launch (ECDSA P-256, subject and SAN `localhost`, for server and client
// auth), whose DER goes in the handshake line so terraform trusts exactly it; and the client
// certificate terraform passes in PLUGIN_CLIENT_CERT, the only one the gRPC server accepts.
// The key pair is made per launch by node:crypto and lives in memory only (never on disk: a
// cached key would let anyone who can read it impersonate the plugin to terraform).
//
// The certificate's structure is @peculiar/asn1-x509's (the RFC 5280 ASN.1 schemas that
// @peculiar/x509 itself is built on), encoded by @peculiar/asn1-schema and signed by
// node:crypto: the same DER as the full library made, without loading its dependency
// injection, CMS, PKCS#12 and RSA modules on every launch (docs/terraform-protocol.md, "The
// executable and its start-up", has the measurements).

import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_kp_clientAuth,
  id_kp_serverAuth,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

export interface ServerCert {
  certPem: string;
  keyPem: string;
  /** The certificate's DER, base64 without `=` padding, as the handshake line carries it. */
  handshakeField: string;
}

/** ecdsa-with-SHA256 (RFC 5758): the signature algorithm, without parameters. */
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const OID_COMMON_NAME = '2.5.4.3';
const OID_ORGANIZATION = '2.5.4.10';

function rdn(type: string, value: string): RelativeDistinguishedName {
  return new RelativeDistinguishedName([
    new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) }),
  ]);
}

function extension(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({
    extnID,
    critical,
    extnValue: new OctetString(AsnConvert.serialize(value)),
  });
}

/** A new self-signed certificate for `localhost`, valid from an hour ago (clock skew) for a
 * year (a plugin process lives for one terraform command). */
export async function createServerCert(now = new Date()): Promise<ServerCert> {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive, and no leading zero octet to strip
  const name = new Name([
    rdn(OID_COMMON_NAME, 'localhost'),
    rdn(OID_ORGANIZATION, 'cmek terraform provider'),
  ]);
  const signatureAlgorithm = new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 });
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: new Uint8Array(serial).buffer,
    signature: signatureAlgorithm,
    issuer: name,
    validity: new Validity({
      notBefore: new Date(now.getTime() - 3600_000),
      notAfter: new Date(now.getTime() + 365 * 86400_000),
    }),
    subject: name,
    subjectPublicKeyInfo: AsnConvert.parse(
      publicKey.export({ type: 'spki', format: 'der' }),
      SubjectPublicKeyInfo,
    ),
    extensions: new Extensions([
      extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: true })),
      extension(
        id_ce_keyUsage,
        true,
        new KeyUsage(
          KeyUsageFlags.digitalSignature |
            KeyUsageFlags.keyEncipherment |
            KeyUsageFlags.keyCertSign,
        ),
      ),
      extension(
        id_ce_extKeyUsage,
        false,
        new ExtendedKeyUsage([id_kp_serverAuth, id_kp_clientAuth]),
      ),
      extension(
        id_ce_subjectAltName,
        false,
        new SubjectAlternativeName([
          new GeneralName({ dNSName: 'localhost' }),
          new GeneralName({ iPAddress: '127.0.0.1' }),
        ]),
      ),
    ]),
  });
  // node:crypto signs ECDSA as the DER ECDSA-Sig-Value that X.509's signatureValue holds.
  const signature = sign('sha256', Buffer.from(AsnConvert.serialize(tbs)), privateKey);
  const der = Buffer.from(
    AsnConvert.serialize(
      new Certificate({
        tbsCertificate: tbs,
        signatureAlgorithm,
        signatureValue: new Uint8Array(signature).buffer,
      }),
    ),
  );
  const b64 = der.toString('base64');
  return {
    certPem: `-----BEGIN CERTIFICATE-----\n${b64.replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    handshakeField: b64.replace(/=+$/, ''),
  };
}
