// The live key check: before a service is created (and on `start`, and by the poller of
// the next issue) the key is exercised exactly as the service will use it, AS THE SERVICE
// PRINCIPAL: describe it, generate a data key, decrypt it back, encrypt. ClickHouse Cloud does the
// same before it shows a key as "valid". Each failure names the missing permission or the key
// state and the remedy, with the stable code CMEK_KEY_INACCESSIBLE.
import { diag, DiagnosticError, type Diagnostic } from '../model/diagnostics.js';
import { parseKeyRef } from '../model/key-ref.js';
import { isKmsError, type KeyMetadata, type Kms, type KmsError } from '../kms/types.js';
import type { Profile } from '../rules/model.js';
import { keyStateRemedy } from '../rules/key-state.js';
import { keyRegionMatches, regionMismatchMessage } from '../rules/region.js';
import { CmekRuleError } from './rule-error.js';

export interface KeyCheckOptions {
  /** The principal the `kms` client acts as, for messages. */
  principal?: string;
  /** Resource address for diagnostics (`cmek_encrypted_service.db`). */
  address?: string;
  /** What messages name when there is no address (`service db`; default `the service`). */
  subject?: string;
  /** Attribute for diagnostics (default `kms_key`). */
  attribute?: string;
  /** Expected region of the key (the service's); a mismatch is CMEK_REGION_MISMATCH. */
  region?: string;
  /** Whose access model to check. `clickhouse` (default): DescribeKey, GenerateDataKey, Decrypt,
   * Encrypt, as ClickHouse's required actions allow. `cloudsql`: the service account holds only
   * encrypter/decrypter on the key, so Encrypt + Decrypt are what must work; DescribeKey is
   * used when allowed (state, region), else the region comes from the key's name. */
  profile?: Profile;
}

export interface KeyCheckOk {
  /** ARN (or GCP name) of the key, as the KMS reports it. */
  arn: string;
  /** Region of the key, when known. */
  region?: string;
  /** Key metadata, when the principal may describe the key (always for clickhouse). */
  metadata?: KeyMetadata;
  /** Version that Encrypt/GenerateDataKey used during the check. */
  keyVersion?: string;
}

type Step = 'kms:DescribeKey' | 'kms:GenerateDataKey' | 'kms:Decrypt' | 'kms:Encrypt';

function inaccessible(keyRef: string, summary: string, detail: string, opts: KeyCheckOptions) {
  return diag('CMEK_KEY_INACCESSIBLE', summary, detail, {
    ...(opts.address ? { address: opts.address } : {}),
    attribute: opts.attribute ?? 'kms_key',
  });
}

/** Turn a KMS failure at `step` into the diagnostic a user can act on. */
export function keyErrorDiagnostic(
  keyRef: string,
  step: Step,
  err: unknown,
  opts: KeyCheckOptions = {},
): Diagnostic {
  const who = opts.principal ?? 'the service principal';
  if (!isKmsError(err)) {
    const msg = err instanceof Error ? err.message : String(err);
    return inaccessible(
      keyRef,
      `Key ${keyRef} is unreachable (${step} failed)`,
      `The KMS could not be reached while calling ${step}: ${msg}\n` +
        'Check the provider "cmek" kms block (endpoint, region, credentials) and retry.',
      opts,
    );
  }
  const e: KmsError = err;
  switch (e.code) {
    case 'AccessDeniedException':
      return inaccessible(
        keyRef,
        `${who} is not allowed to call ${step} on key ${keyRef}`,
        `The KMS denied ${step} to ${who}: ${e.message}\n` +
          `Remedy: grant ${step} (and the other required actions) to ${who} on the key, for ` +
          'example with a cmek_kms_key_policy resource whose service_principal is that ' +
          'principal; then apply again.',
        opts,
      );
    case 'DisabledException':
      return inaccessible(
        keyRef,
        `Key ${keyRef} is disabled`,
        `${step} failed because the key is disabled: ${e.message}\n` +
          `Remedy: enable the key (cmek kms enable ${keyRef}) and retry.`,
        opts,
      );
    case 'KMSInvalidStateException':
      return inaccessible(
        keyRef,
        `Key ${keyRef} is not usable in its current state`,
        `${step} failed: ${e.message}\n` +
          `Remedy: if the key is pending deletion, cancel the deletion ` +
          `(cmek kms cancel-deletion ${keyRef}) and enable it; a deleted key cannot be recovered.`,
        opts,
      );
    case 'NotFoundException':
      return inaccessible(
        keyRef,
        `Key ${keyRef} was not found`,
        `${step} failed: ${e.message}\n` +
          'Remedy: check the key ARN/id/alias and that it lives in the KMS and region the ' +
          'provider uses.',
        opts,
      );
    default:
      return diag(
        'CMEK_KEY_INACCESSIBLE',
        `Key ${keyRef} failed the live check (${step}: ${e.code})`,
        `${e.message}\nRemedy: fix the key or its policy and retry.`,
        {
          ...(opts.address ? { address: opts.address } : {}),
          attribute: opts.attribute ?? 'kms_key',
        },
      );
  }
}

async function step<T>(
  keyRef: string,
  name: Step,
  opts: KeyCheckOptions,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new DiagnosticError(keyErrorDiagnostic(keyRef, name, e, opts));
  }
}

/** Exercise the key as the service will. Resolves with the key's metadata, or throws a
 * DiagnosticError (CMEK_KEY_INACCESSIBLE, or CMEK_REGION_MISMATCH). The generated data key is
 * zeroed right away: it exists only to prove access. */
export async function checkKeyAccess(
  kms: Kms,
  keyRef: string,
  opts: KeyCheckOptions = {},
): Promise<KeyCheckOk> {
  let metadata: KeyMetadata | undefined;
  try {
    metadata = await kms.describeKey(keyRef);
  } catch (e) {
    // cloudsql: a service account with encrypter/decrypter only may not describe the key; the
    // Encrypt/Decrypt below are the real test. Anything but AccessDenied is a failure anyway.
    const tolerated = opts.profile === 'cloudsql' && isKmsError(e, 'AccessDeniedException');
    if (!tolerated)
      throw new DiagnosticError(keyErrorDiagnostic(keyRef, 'kms:DescribeKey', e, opts));
  }
  if (metadata && metadata.keyState !== 'Enabled') {
    const state = metadata.keyState;
    const remedy = keyStateRemedy(keyRef, state);
    throw new DiagnosticError(
      inaccessible(
        keyRef,
        `Key ${keyRef} is ${state}`,
        `A service key must be Enabled; it is ${state}. Remedy: ${remedy}.`,
        opts,
      ),
    );
  }
  const parsed = parseKeyRef(keyRef);
  const region = metadata?.region ?? (parsed.ok ? parsed.ref.region : undefined);
  if (opts.region && region && !keyRegionMatches(region, opts.region, opts.profile)) {
    const message = regionMismatchMessage({
      subject: opts.address ?? opts.subject ?? 'the service',
      kind: 'service',
      region: opts.region,
      key: keyRef,
      keyRegion: region,
    });
    throw new CmekRuleError(
      'CMEK_REGION_MISMATCH',
      message,
      opts.attribute ?? 'kms_key',
      opts.address,
    );
  }
  const keyId = metadata?.arn ?? keyRef;
  const context = { purpose: 'cmek-key-check' };
  let keyVersion: string | undefined;
  let arn = keyId;
  if (opts.profile !== 'cloudsql') {
    const dk = await step(keyRef, 'kms:GenerateDataKey', opts, () =>
      kms.generateDataKey({ keyId, context }),
    );
    dk.plaintext.fill(0);
    const back = await step(keyRef, 'kms:Decrypt', opts, () =>
      kms.decrypt({ ciphertextBlob: dk.ciphertextBlob, context, keyId }),
    );
    back.plaintext.fill(0);
    keyVersion = dk.keyVersion;
  }
  const enc = await step(keyRef, 'kms:Encrypt', opts, () =>
    kms.encrypt({ keyId, plaintext: new Uint8Array(16), context }),
  );
  arn = enc.keyId || arn;
  keyVersion = enc.keyVersion ?? keyVersion;
  if (opts.profile === 'cloudsql') {
    const back = await step(keyRef, 'kms:Decrypt', opts, () =>
      kms.decrypt({ ciphertextBlob: enc.ciphertextBlob, context, keyId }),
    );
    back.plaintext.fill(0);
  }
  return {
    arn,
    ...(region ? { region } : {}),
    ...(metadata ? { metadata } : {}),
    ...(keyVersion !== undefined ? { keyVersion } : {}),
  };
}
