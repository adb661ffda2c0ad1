// Attribute names in the two spellings the front doors use: snake_case (the resource
// definitions, terraform, the rules) and camelCase (Pulumi programs and their state). The one
// mapping between them, at the type level and at run time, so Pulumi's typed args, the dynamic
// providers and the CrossGuard pack cannot disagree; with the Pulumi class names and type
// tokens of the cmek types and Pulumi's spelling of an unknown value.

/** `rotation_period_in_days` → `rotationPeriodInDays` (as a type). */
export type SnakeToCamel<S extends string> = S extends `${infer H}_${infer T}`
  ? `${H}${Capitalize<SnakeToCamel<T>>}`
  : S;

/** `rotation_period_in_days` → `rotationPeriodInDays`. */
export function snakeToCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `rotationPeriodInDays` → `rotation_period_in_days`. */
export function camelToSnake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The Pulumi class of a cmek resource type: `cmek_kms_key` → `KmsKey`. */
export function pulumiClassName(type: string): string {
  const camel = snakeToCamel(type.replace(/^cmek_/, ''));
  return camel.charAt(0).toUpperCase() + camel.slice(1);
}

/** The module part of the cmek Pulumi type tokens. */
export const PULUMI_MODULE = 'cmek';

/** The Pulumi type token of a cmek resource type, as `pulumi.dynamic.Resource` registers it:
 * `cmek_kms_key` → `pulumi-nodejs:dynamic/cmek:KmsKey`. */
export function pulumiTypeToken(type: string): string {
  return `pulumi-nodejs:dynamic/${PULUMI_MODULE}:${pulumiClassName(type)}`;
}

/** How Pulumi's engine spells a value not known during preview, in provider and analyzer RPCs
 * (the SDK's `rpc.unknownValue`). */
export const PULUMI_UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';
