// The embedded control plane and data plane as a library: open it on a data directory with a
// KMS client acting as the service principal (and an admin client for provider-managed keys).
export {
  ControlPlane,
  openControlPlane,
  managedKeyAlias,
  parseDuration as parseKeyCheckInterval,
  type ControlPlaneOptions,
} from './control-plane.js';
export {
  ObjectStore,
  objectFileName,
  type ByteRange,
  type ObjectCodec,
  type ObjectInfo,
  type ObjectStoreHooks,
  type WriteOptions,
  type RangeReader,
} from './objects.js';
export { EnvelopeCodec, type EnvelopeCodecOptions } from './codec.js';
export {
  checkKeyAccess,
  keyErrorDiagnostic,
  type KeyCheckOk,
  type KeyCheckOptions,
} from './key-check.js';
export { ServiceKeys, type KeyRecord } from './keys.js';
// A CMEK rule refused by the control plane itself (a DiagnosticError with the rule's text).
export { CmekRuleError } from './rule-error.js';
export type * from './types.js';
// The key lifecycle: the poller (one pass, or a loop) and the crypto-shredding diagnostics.
export {
  KeyPoller,
  pollOnce,
  dueInMs,
  intervalOf,
  type KeyCheckResult,
  type KeyPollerOptions,
  type KeyTransition,
  type PollOptions,
  type PollReport,
} from './poller.js';
export { destroyedKey, shreddedError, shreddedReason } from './shredding.js';
