// `cmek/pulumi`: the cmek resources for Pulumi programs (docs/pulumi.md). The classes are
// `pulumi.dynamic.Resource` subclasses made from the resource definitions; `cmekDynamic` is
// what their serialized providers call inside Pulumi's dynamic-provider host.
export {
  Backup,
  BackupRestore,
  Clone,
  EncryptedService,
  KmsKey,
  KmsKeyPolicy,
  PULUMI_MODULE,
  PULUMI_RESOURCES,
  Replica,
  type CmekResourceClass,
} from './resources.js';
export { dynamicProvider, type CmekDynamicProvider, type CmekPulumiConfig } from './provider.js';
export { cmekDynamic, settingsFrom, toAttrs, toProps } from './dynamic.js';
export type { PulumiArgs, PulumiOutputs } from './types.js';
