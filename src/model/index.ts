// The model layer's public surface (`import ... from 'cmek/model'`): values and unknowns,
// diagnostics, source positions, resource addresses, key references and key-policy documents.
// Every other layer builds on these; this folder imports nothing else of the project.
export {
  DIAGNOSTIC_CODES,
  DiagnosticError,
  diag,
  formatDiagnostic,
  hasErrors,
  type Diagnostic,
  type DiagnosticCode,
  type Severity,
} from './diagnostics.js';
export {
  UNKNOWN,
  Unknown,
  containsUnknown,
  isUnknown,
  unknownMask,
  type Attrs,
  type KeyFacts,
  type Refinement,
  type Value,
} from './values.js';
export type { SourcePos } from './position.js';
export { formatAddress, parseAddress, type ParsedAddress } from './address.js';
export {
  formatReference,
  parseReference,
  referenceAddress,
  referenceKey,
  type Reference,
} from './reference.js';
export {
  formatKeyRef,
  isAwsKeyId,
  isAwsRegion,
  isGcpLocation,
  keyFormatDiagnostic,
  keyRefDiagnostic,
  parseKeyRef,
  partitionOfRegion,
  type KeyRef,
  type KeyRefKind,
  type KeyRefResult,
} from './key-ref.js';
export type { EncryptionContext, KeyProvider } from './kms.js';
export {
  allowsPublicPrincipal,
  defaultKeyPolicy,
  evaluatePolicy,
  grantsActions,
  parsePolicy,
  type Decision,
  type PolicyDocument,
  type RequestContext,
  type Statement,
} from './policy/index.js';
