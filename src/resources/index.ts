// The resource types this provider implements, by type name. The engine, the Pulumi dynamic
// providers and cdktf look resource code up here, so each type's logic exists once. Each type is
// one declaration (src/resources/define.ts); the lists below are derived from them.
import type { ResourceRoles } from '../rules/cmek.js';
import { backupRestore } from './backup-restore.js';
import { backup } from './backup.js';
import { clone } from './clone.js';
import type { DefinedResource, ResourceDescription } from './define.js';
import { describeResource } from './define.js';
import { encryptedService } from './encrypted-service.js';
import { kmsKeyPolicy } from './kms-key-policy.js';
import { kmsKey } from './kms-key.js';
import { replica } from './replica.js';
import type { ResourceType } from './types.js';

const DEFINED: readonly DefinedResource[] = [
  kmsKey,
  kmsKeyPolicy,
  encryptedService,
  replica,
  clone,
  backup,
  backupRestore,
];

export const RESOURCE_TYPES: Readonly<Record<string, ResourceType>> = Object.freeze(
  Object.fromEntries(DEFINED.map((r) => [r.type, r])),
);

/** The rules' role table of the given resource types (those that declare a role). */
export function rolesOf(types: Iterable<DefinedResource>): ResourceRoles {
  const out: Record<string, ResourceRoles[string]> = {};
  for (const t of types) if (t.definition.role) out[t.type] = t.definition.role;
  return Object.freeze(out);
}

/** How the CMEK rules see this provider's resource types (`cmekRuleInput`'s `roles`). */
export const RESOURCE_ROLES: ResourceRoles = rolesOf(DEFINED);

/** The serializable schema of every resource type, for generated provider schemas and docs. */
export function describeResources(): ResourceDescription[] {
  return DEFINED.map((r) => describeResource(r.definition));
}

export function resourceType(type: string): ResourceType | undefined {
  return Object.prototype.hasOwnProperty.call(RESOURCE_TYPES, type)
    ? RESOURCE_TYPES[type]
    : undefined;
}

export { kmsKey, kmsKeyPolicy, encryptedService, replica, clone, backup, backupRestore };
export {
  createProviderContext,
  controlPlaneFor,
  embeddedControlPlaneFor,
  kmsBackendFor,
  localKmsDir,
} from './context.js';
export {
  defineResource,
  describeResource,
  schemaOf,
  sensitiveAttributes,
  type AttrMode,
  type AttrType,
  type AttributeDef,
  type AttributeDescription,
  type DefinedResource,
  type ResourceDefinition,
  type ResourceDescription,
  type Shape,
} from './define.js';
export type * from './types.js';
