// `cmek/cdktf`: typed cdktf constructs for the cmek provider (generated from the resource
// definitions), the provider construct, and the `CmekRules` Aspect that runs the CMEK rules at
// synth. Loads cdktf and constructs (optional peer dependencies), never @cdktf/provider-aws:
// the ClickHouse key helper is `cmek/cdktf/aws`. See docs/cdktf.md.
export * from './generated.js';
export { CmekResource, type CmekResourceOptions } from './base.js';
export {
  CMEK_PROVIDER_SOURCE,
  CmekProvider,
  type CmekProviderConfig,
  type CmekProviderKms,
  type CmekProviderKmsAws,
} from './provider.js';
export {
  CDKTF_ROLES,
  CmekRules,
  annotationMessage,
  checkStack,
  stackResources,
  type CmekRulesOptions,
} from './aspect.js';
