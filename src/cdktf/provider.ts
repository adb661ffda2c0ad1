// `CmekProvider`: the `provider "cmek" {}` block as a cdktf TerraformProvider (data_dir,
// service_principal, kms { local {} | aws { region, endpoint } }, as docs/configuration.md
// describes). Its source address is our Terraform provider plugin's, so `cdktf synth` output is
// a configuration both `cmek plan` and `terraform plan` (with the plugin installed) accept.
import type { Construct } from 'constructs';
import * as cdktf from 'cdktf';
import { PROVIDER_NAME } from '../engine/state.js';

/** The provider's source address in `required_providers` (one constant, shared with the state
 * file's provider address). */
export const CMEK_PROVIDER_SOURCE = PROVIDER_NAME;

export interface CmekProviderKmsAws {
  /** Region of the AWS KMS endpoint (default: the SDK's). */
  readonly region?: string;
  /** Endpoint URL (LocalStack, a VPC endpoint, `cmek kms serve`). */
  readonly endpoint?: string;
}

/** Exactly one of `local` and `aws`. */
export interface CmekProviderKms {
  /** The local KMS under the data directory (the default). */
  readonly local?: Record<string, never>;
  readonly aws?: CmekProviderKmsAws;
}

export interface CmekProviderConfig {
  /** Data directory of the control plane and the local KMS (default `.cmek` beside the
   * configuration, i.e. in the stack directory). */
  readonly dataDir?: string;
  /** The principal services use to call the KMS (default
   * `arn:aws:iam::000000000000:role/cmek-service`). */
  readonly servicePrincipal?: string;
  readonly kms?: CmekProviderKms;
}

function kmsToTerraform(kms: CmekProviderKms | undefined): unknown {
  if (kms === undefined) return undefined;
  const out: Record<string, unknown> = {};
  if (kms.local !== undefined) out.local = {};
  if (kms.aws !== undefined)
    out.aws = {
      region: cdktf.stringToTerraform(kms.aws.region),
      endpoint: cdktf.stringToTerraform(kms.aws.endpoint),
    };
  return out;
}

export class CmekProvider extends cdktf.TerraformProvider {
  static readonly tfResourceType = 'cmek';
  readonly config: CmekProviderConfig;

  constructor(scope: Construct, id: string, config: CmekProviderConfig = {}) {
    super(scope, id, {
      terraformResourceType: CmekProvider.tfResourceType,
      terraformGeneratorMetadata: { providerName: 'cmek' },
      terraformProviderSource: CMEK_PROVIDER_SOURCE,
    });
    this.config = config;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return {
      data_dir: cdktf.stringToTerraform(this.config.dataDir),
      service_principal: cdktf.stringToTerraform(this.config.servicePrincipal),
      kms: kmsToTerraform(this.config.kms),
    };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    const simple = (v: string | undefined) =>
      v === undefined
        ? undefined
        : {
            value: cdktf.stringToHclTerraform(v),
            isBlock: false,
            type: 'simple',
            storageClassType: 'string',
          };
    const out: Record<string, unknown> = {};
    const dataDir = simple(this.config.dataDir);
    if (dataDir) out.data_dir = dataDir;
    const sp = simple(this.config.servicePrincipal);
    if (sp) out.service_principal = sp;
    const kms = this.config.kms;
    if (kms !== undefined) {
      const block = (value: Record<string, unknown>, name: string) => ({
        value,
        isBlock: true,
        type: 'struct',
        storageClassType: name,
      });
      const inner: Record<string, unknown> = {};
      if (kms.local !== undefined) inner.local = block({}, 'local');
      if (kms.aws !== undefined) {
        const aws: Record<string, unknown> = {};
        const region = simple(kms.aws.region);
        if (region) aws.region = region;
        const endpoint = simple(kms.aws.endpoint);
        if (endpoint) aws.endpoint = endpoint;
        inner.aws = block(aws, 'aws');
      }
      out.kms = block(inner, 'kms');
    }
    return out;
  }
}
