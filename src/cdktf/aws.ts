// `cmek/cdktf/aws`: `ClickHouseCmekKey`, the Terraform equivalent of the ClickHouse CMEK
// CloudFormation stack: an @cdktf/provider-aws `aws_kms_key` plus an `aws_kms_key_policy` that
// keeps the account-root statement and grants the ClickHouse service role exactly the actions
// the clickhouse profile requires. The policy document is the one `cmek_kms_key_policy`
// generates (src/resources/kms-key-policy.ts), whose action list is the profile table's
// (src/rules/profiles.ts), so the three cannot drift. A separate entry: `cmek/cdktf` never loads
// @cdktf/provider-aws (an optional peer dependency, ~400 MB). See docs/cdktf.md.
import type * as cdktf from 'cdktf';
import { Construct } from 'constructs';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import { KmsKeyPolicy } from '@cdktf/provider-aws/lib/kms-key-policy/index.js';
import { generatedKeyPolicy } from '../resources/kms-key-policy.js';

/** The role ClickHouse Cloud's legacy CMEK docs grant (`prod-kms-request-role`). */
export const CLICKHOUSE_KMS_REQUEST_ROLE = 'arn:aws:iam::576599896960:role/prod-kms-request-role';

export interface ClickHouseCmekKeyConfig {
  /** The AWS account that owns the key: its root keeps full control (`kms:*`), as in AWS's
   * default key policy. A literal or a token (`new DataAwsCallerIdentity(...).accountId`). */
  readonly accountId: string;
  /** The ClickHouse role to grant (the service's TDE role, or the legacy
   * `CLICKHOUSE_KMS_REQUEST_ROLE`). */
  readonly serviceRoleArn: string;
  /** Region of the key (must be the ClickHouse service's region); default: the provider's. */
  readonly region?: string;
  readonly description?: string;
  /** Default `true`. */
  readonly enableKeyRotation?: boolean;
  /** 7–30, default 30. */
  readonly deletionWindowInDays?: number;
  /** The AWS provider to use (default: the stack's). */
  readonly provider?: cdktf.TerraformProvider;
}

export class ClickHouseCmekKey extends Construct {
  readonly key: KmsKey;
  readonly policy: KmsKeyPolicy;
  /** The policy document (JSON text; tokens where the config gave tokens). */
  readonly policyDocument: string;

  constructor(scope: Construct, id: string, config: ClickHouseCmekKeyConfig) {
    super(scope, id);
    const provider = config.provider ? { provider: config.provider } : {};
    this.key = new KmsKey(this, 'key', {
      description: config.description ?? 'ClickHouse Cloud customer-managed key',
      enableKeyRotation: config.enableKeyRotation ?? true,
      ...(config.deletionWindowInDays !== undefined
        ? { deletionWindowInDays: config.deletionWindowInDays }
        : {}),
      ...(config.region !== undefined ? { region: config.region } : {}),
      ...provider,
    });
    this.policyDocument = generatedKeyPolicy(config.accountId, config.serviceRoleArn);
    this.policy = new KmsKeyPolicy(this, 'policy', {
      keyId: this.key.keyId,
      policy: this.policyDocument,
      ...(config.region !== undefined ? { region: config.region } : {}),
      ...provider,
    });
  }

  /** The key's ARN (a reference): what ClickHouse's `transparent_data_encryption` key takes. */
  get arn(): string {
    return this.key.arn;
  }
}
