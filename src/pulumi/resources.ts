// The seven cmek resources as `pulumi.dynamic.Resource` subclasses: `new KmsKey(name, args)`
// in a Pulumi program. Each class is made from its resource definition: the args and outputs
// are the definition's attributes in camelCase (src/pulumi/types.ts), the type token is
// `pulumi-nodejs:dynamic/cmek:<Class>`, and the provider is the serializable one of
// src/pulumi/provider.ts, so the resource's logic stays in src/resources.
import * as pulumi from '@pulumi/pulumi';
import { PULUMI_MODULE, pulumiClassName, pulumiTypeToken, snakeToCamel } from '../model/case.js';
import type { AttributeDef, DefinedResource } from '../resources/define.js';
import {
  backup,
  backupRestore,
  clone,
  encryptedService,
  kmsKey,
  kmsKeyPolicy,
  replica,
} from '../resources/index.js';
import { dynamicProvider } from './provider.js';
import type { PulumiArgs, PulumiOutputs } from './types.js';

type Attributes = Record<string, AttributeDef>;

/** A resource class: `new C(name, args, opts)` is a dynamic resource with typed outputs. */
export type CmekResourceClass<A extends Attributes> = {
  new (
    name: string,
    args: PulumiArgs<A>,
    opts?: pulumi.CustomResourceOptions,
  ): pulumi.dynamic.Resource & PulumiOutputs<A>;
  /** The cmek resource type (`cmek_kms_key`). */
  readonly cmekType: string;
  /** The Pulumi type token. */
  readonly typeToken: string;
};

function resourceClass<A extends Attributes>(rt: DefinedResource<A>): CmekResourceClass<A> {
  const className = pulumiClassName(rt.type);
  const provider = dynamicProvider(rt.type);
  // Every attribute is an output: computed ones start undefined so Pulumi makes an Output for
  // them (`id` is the resource's own id).
  const outputs = Object.keys(rt.definition.attributes)
    .filter((a) => a !== 'id')
    .map(snakeToCamel);
  const C = class extends pulumi.dynamic.Resource {
    static readonly cmekType = rt.type;
    static readonly typeToken = pulumiTypeToken(rt.type);
    constructor(name: string, args: PulumiArgs<A>, opts?: pulumi.CustomResourceOptions) {
      const props: Record<string, unknown> = {};
      for (const o of outputs) props[o] = undefined;
      Object.assign(props, args);
      super(provider, name, props, opts, PULUMI_MODULE, className);
    }
  };
  Object.defineProperty(C, 'name', { value: className });
  return C as unknown as CmekResourceClass<A>;
}

/** A KMS key (`cmek_kms_key`): outputs `arn`, `keyId`, `keyState`, `primaryVersion`. */
export const KmsKey = resourceClass(kmsKey);
export type KmsKey = InstanceType<typeof KmsKey>;
/** A key policy (`cmek_kms_key_policy`) granting the service principal. */
export const KmsKeyPolicy = resourceClass(kmsKeyPolicy);
export type KmsKeyPolicy = InstanceType<typeof KmsKeyPolicy>;
/** An encrypted service (`cmek_encrypted_service`): outputs `status`, `encrypted`, ... */
export const EncryptedService = resourceClass(encryptedService);
export type EncryptedService = InstanceType<typeof EncryptedService>;
/** A replica of a service (`cmek_replica`). */
export const Replica = resourceClass(replica);
export type Replica = InstanceType<typeof Replica>;
/** A clone of a service (`cmek_clone`). */
export const Clone = resourceClass(clone);
export type Clone = InstanceType<typeof Clone>;
/** A backup of a service (`cmek_backup`). */
export const Backup = resourceClass(backup);
export type Backup = InstanceType<typeof Backup>;
/** A service restored from a backup (`cmek_backup_restore`). */
export const BackupRestore = resourceClass(backupRestore);
export type BackupRestore = InstanceType<typeof BackupRestore>;

/** The classes by cmek type name. */
export const PULUMI_RESOURCES = {
  cmek_kms_key: KmsKey,
  cmek_kms_key_policy: KmsKeyPolicy,
  cmek_encrypted_service: EncryptedService,
  cmek_replica: Replica,
  cmek_clone: Clone,
  cmek_backup: Backup,
  cmek_backup_restore: BackupRestore,
} as const;
export { PULUMI_MODULE } from '../model/case.js';
