// The library entry point (`import { ... } from 'cmek'`): the engine API and the core.
export * from './model/diagnostics.js';
export * from './kms/types.js';
export * from './core/index.js';
export { MemoryKms } from './kms/memory.js';
export * from './engine/index.js';
export {
  openLocalKms,
  LOCAL_ACCOUNT,
  LOCAL_ROOT_PRINCIPAL,
  type LocalKms,
  type LocalKmsClient,
  type LocalKmsOptions,
  type LocalKeyMetadata,
} from './kms/local/index.js';
export { parseKeyRef, formatKeyRef, keyRefDiagnostic, type KeyRef } from './model/key-ref.js';
export {
  grantsActions,
  allowsPublicPrincipal,
  evaluatePolicy,
  parsePolicy as parseKeyPolicy,
  defaultKeyPolicy,
} from './model/policy/index.js';
// The configuration layer: loadConfig, resolveVariables, expression parsing and scopes.
export * from './engine/config/index.js';
// The CMEK rules (pure functions): the same ones the planner, policy check, Pulumi and cdktf use.
export {
  checkRules,
  cmekRuleInput,
  compareDiagnostics,
  explainCode,
  explainText,
  sameKey,
  DEFAULT_PROFILE,
  PROFILES,
  REQUIRED_ACTIONS,
  RULES,
  type CmekResourceChange,
  type CmekRuleInputOptions,
  type ResourceRoles,
  type CodeExplanation,
  type ExternalUse,
  type KeyNode,
  type KeyView,
  type NodeView,
  type PolicyNode,
  type Profile,
  type ProfileFacts,
  type RuleInput,
} from './rules/index.js';
// The KMS backends and the AWS KMS wire server (`cmek kms serve` as a library).
export {
  createKms,
  AwsKms,
  createAwsKms,
  toKmsError,
  type AwsCredentials,
  type AwsKmsSettings,
  type KmsBackend,
  type KmsBackendSettings,
} from './kms/index.js';
export {
  startKmsServer,
  loadCredentials as loadKmsServerCredentials,
  parseCredentials as parseKmsServerCredentials,
  type KmsServer,
  type KmsServerOptions,
  type CredentialMap as KmsServerCredentials,
} from './kms/server/index.js';
// The embedded control plane (services, key hierarchy records, events) and the object store.
export * from './service/index.js';
// The resource types (the engine's CRUD code; also used by the Pulumi and cdktf integrations).
export {
  RESOURCE_TYPES,
  RESOURCE_ROLES,
  describeResources,
  resourceType,
  createProviderContext,
  controlPlaneFor,
  kmsKey,
  kmsKeyPolicy,
  encryptedService,
} from './resources/index.js';
