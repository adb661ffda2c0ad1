// The library entry point (`import { ... } from 'cmek'`): a chosen API, listed name by name so a
// new internal export does not become public by accident. docs/contract.md describes it; the
// subpaths (`cmek/engine`, `cmek/rules`, `cmek/model`, `cmek/resources`, `cmek/core`,
// `cmek/kms`, `cmek/defaults`) give each layer's whole surface.
//
// Importing this entry does not load the resource types, the control plane or the KMS
// backends: the engine loads its default wiring (`cmek/defaults`) the first time an operation
// runs without `deps`.

// Engine: load, plan, apply, refresh, validate, state.
export {
  apply,
  lockWorkspace,
  openWorkspace,
  plan,
  readWorkspaceState,
  refresh,
  stalePlanDiagnostics,
  stateRm,
  validate,
  type EngineApplyOptions,
  type EngineOptions,
  type EnginePlanOptions,
  type RefreshResult,
  type ValidateResult,
  type Workspace,
} from './engine/index.js';
export type { ApplyEvent, ApplyResult } from './engine/apply.js';
export type { EngineDeps, KeyUse, RuleChange } from './engine/deps.js';
export { forceUnlock, type LockInfo } from './engine/lock.js';
export {
  planCounts,
  planHasChanges,
  type ChangeAction,
  type DriftEntry,
  type OutputChange,
  type Plan,
  type PlannedChange,
} from './engine/plan.js';
export { readPlanFile, writePlanFile } from './engine/planfile.js';
export {
  PLAN_JSON_FORMAT_VERSION,
  STATE_JSON_FORMAT_VERSION,
  renderDriftText,
  renderPlanJson,
  renderPlanText,
  renderStateJson,
  renderStateText,
} from './engine/render.js';
export {
  loadState,
  stateInstances,
  type InstanceEntry,
  type StateFile,
  type StateInstance,
} from './engine/state.js';
// Configuration: the .tf loader, variables and expression scopes.
export {
  loadConfig,
  loadVarFiles,
  mapScope,
  parseExpression,
  resolveVariables,
  type Config,
  type LoadResult,
} from './engine/config/index.js';

// Diagnostics and values (src/model).
export {
  DIAGNOSTIC_CODES,
  DiagnosticError,
  diag,
  formatDiagnostic,
  hasErrors,
  type Diagnostic,
  type DiagnosticCode,
  type Severity,
} from './model/diagnostics.js';
export { isUnknown, type Attrs, type Value } from './model/values.js';
export { parseKeyRef, formatKeyRef, keyRefDiagnostic, type KeyRef } from './model/key-ref.js';
export {
  allowsPublicPrincipal,
  defaultKeyPolicy,
  evaluatePolicy,
  grantsActions,
  parsePolicy as parseKeyPolicy,
} from './model/policy/index.js';

// The encryption core: encrypt/decrypt buffers, streams and ranges under a KMS key.
export {
  BatchOpener,
  BatchSealer,
  CryptoPool,
  cryptoThreads,
  defaultCryptoPool,
  DEFAULT_CHUNK_SIZE,
  DecryptStream,
  EncryptStream,
  IntegrityError,
  KeyCache,
  KeyUnavailableError,
  KmsKeyring,
  ObjectReader,
  ParallelDecryptStream,
  ParallelEncryptStream,
  ServiceKeySet,
  bufferSource,
  createDecryptStream,
  createEncryptStream,
  createParallelDecryptStream,
  createParallelEncryptStream,
  createReencryptStream,
  decryptBuffer,
  decryptRange,
  encryptBuffer,
  // Crypto pool: whole-buffer sealing on every core (docs/core.md, "Crypto pool").
  encryptBufferAsync,
  encryptToPartsAsync,
  type SealPartsOptions,
  isIntegrityError,
  objectContext,
  openFileSource,
  reencryptBuffer,
  type DecryptOptions,
  type EncryptOptions,
  type IntegrityReason,
  type KeyCacheOptions,
  type ParallelOptions,
  type RandomAccessSource,
  type RangeOptions,
  type ReencryptOptions,
  type ServiceKeySetOptions,
} from './core/index.js';

// The KMS: the interface, the in-memory and local KMS, AWS KMS, and the AWS KMS wire server.
export {
  KmsError,
  isKmsError,
  type CreateKeyInput,
  type EncryptionContext,
  type KeyMetadata,
  type KeyState,
  type Kms,
  type KmsAdmin,
  type KmsErrorCode,
} from './kms/types.js';
export { MemoryKms } from './kms/memory.js';
export {
  openLocalKms,
  LOCAL_ACCOUNT,
  LOCAL_ROOT_PRINCIPAL,
  type LocalKms,
  type LocalKmsClient,
  type LocalKmsOptions,
  type LocalKeyMetadata,
} from './kms/local/index.js';
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

// The CMEK rules (pure functions over a RuleInput): the same ones the planner runs.
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
