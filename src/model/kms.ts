// Plain facts about KMS keys that every layer shares: what an encryption context is and which
// family a key belongs to. The KMS clients (src/kms) and the rules (src/rules) both use them.

/** Key/value pairs bound to every KMS call and authenticated with the data. */
export type EncryptionContext = Readonly<Record<string, string>>;

/** Which family a key reference belongs to. The clickhouse profile forbids rotating a service
 * to a key of another provider (CMEK_ROTATION_CROSS_PROVIDER). */
export type KeyProvider = 'aws' | 'gcp';

/** The credentials `cmek kms serve` and `cmek server` accept without a credentials file, and
 * that their clients sign with when none are given (as LocalStack's `test`/`test`). */
export const DEFAULT_ACCESS_KEY_ID = 'test';
export const DEFAULT_SECRET = 'test';
