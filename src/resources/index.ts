// The resource types this provider implements, by type name. The engine, the Pulumi dynamic
// providers and cdktf look resource code up here, so each type's logic exists once.
import { backupRestore } from './backup-restore.js';
import { backup } from './backup.js';
import { clone } from './clone.js';
import { encryptedService } from './encrypted-service.js';
import { kmsKeyPolicy } from './kms-key-policy.js';
import { kmsKey } from './kms-key.js';
import { replica } from './replica.js';
import type { ResourceType } from './types.js';

export const RESOURCE_TYPES: Readonly<Record<string, ResourceType>> = Object.freeze({
  [kmsKey.type]: kmsKey as unknown as ResourceType,
  [kmsKeyPolicy.type]: kmsKeyPolicy as unknown as ResourceType,
  [encryptedService.type]: encryptedService as unknown as ResourceType,
  [replica.type]: replica as unknown as ResourceType,
  [clone.type]: clone as unknown as ResourceType,
  [backup.type]: backup as unknown as ResourceType,
  [backupRestore.type]: backupRestore as unknown as ResourceType,
});

export function resourceType(type: string): ResourceType | undefined {
  return Object.prototype.hasOwnProperty.call(RESOURCE_TYPES, type)
    ? RESOURCE_TYPES[type]
    : undefined;
}

export { kmsKey, kmsKeyPolicy, encryptedService, replica, clone, backup, backupRestore };
export { createProviderContext, controlPlaneFor, kmsBackendFor, localKmsDir } from './context.js';
export type * from './types.js';
