// The library entry point (`import { ... } from 'cmek'`): the engine API and the core.
export * from './diagnostics.js';
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
export { parseKeyRef, formatKeyRef, keyRefDiagnostic, type KeyRef } from './kms/ref.js';
export {
  grantsActions,
  allowsPublicPrincipal,
  evaluatePolicy,
  parsePolicy as parseKeyPolicy,
  defaultKeyPolicy,
} from './kms/policy/index.js';
// The configuration layer: loadConfig, resolveVariables, expression parsing and scopes.
export * from './engine/config/index.js';
