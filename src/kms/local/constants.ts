// Constants shared by the local KMS modules (kept apart from index.ts to avoid import cycles).

/** The account the local KMS lives in (docs/configuration.md). */
export const LOCAL_ACCOUNT = '000000000000';
/** The account-root principal of the local account: the key administrator by default. */
export const LOCAL_ROOT_PRINCIPAL = 'arn:aws:iam::000000000000:root';
/** Env var overriding the on-disk root key: base64 of 32 bytes. */
export const ROOT_KEY_ENV = 'CMEK_KMS_ROOT_KEY';
/** The lock file a process holds while it changes the keystore (in the KMS directory). */
export const KEYSTORE_LOCK = 'keystore.lock';
/** Env var naming the root key file (used, or created on first use, instead of the default). */
export const ROOT_KEY_FILE_ENV = 'CMEK_KMS_ROOT_KEY_FILE';
