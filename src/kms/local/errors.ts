// The errors the local KMS gives for a key in the wrong state, worded as AWS KMS words them.
import { KmsError } from '../types.js';
import type { StoredKey } from './store.js';

export function disabled(key: StoredKey): KmsError {
  return new KmsError('DisabledException', `${key.arn} is disabled.`);
}

export function invalidState(key: StoredKey): KmsError {
  const why =
    key.state === 'PendingDeletion'
      ? `pending deletion (on ${key.deletionDate})`
      : key.state === 'Destroyed'
        ? 'destroyed: its key material was deleted'
        : key.state;
  return new KmsError('KMSInvalidStateException', `${key.arn} is ${why}.`);
}
