// The typed camelCase args and outputs of the Pulumi resources, derived at the type level from
// each resource definition's attribute list (src/resources/define.ts): required attributes are
// required args, optional ones optional, computed ones outputs only. Nothing here is written out
// by hand per type, so a new attribute appears in the Pulumi types when it is declared.
import type * as pulumi from '@pulumi/pulumi';
import type { SnakeToCamel } from '../model/case.js';
import type { AttributeDef, TypeValues } from '../resources/define.js';

type Attributes = Record<string, AttributeDef>;
type ValueOf<D> = D extends AttributeDef<infer T> ? TypeValues[T] : never;

type RequiredNames<A extends Attributes> = {
  [N in keyof A & string]: A[N]['mode'] extends 'required' ? N : never;
}[keyof A & string];
type OptionalNames<A extends Attributes> = {
  [N in keyof A & string]: A[N]['mode'] extends 'optional' | 'optional_computed' ? N : never;
}[keyof A & string];

/** The constructor args of a resource: its configurable attributes in camelCase. */
export type PulumiArgs<A extends Attributes> = {
  [N in RequiredNames<A> as SnakeToCamel<N>]: pulumi.Input<ValueOf<A[N]>>;
} & {
  [N in OptionalNames<A> as SnakeToCamel<N>]?: pulumi.Input<ValueOf<A[N]>>;
};

/** The outputs of a resource: every attribute in camelCase (`id` is the resource's own id).
 * Required and computed attributes are always set (a computed one once the resource exists);
 * optional ones may be absent. */
export type PulumiOutputs<A extends Attributes> = {
  readonly [N in Exclude<keyof A & string, 'id'> as SnakeToCamel<N>]: pulumi.Output<
    A[N]['mode'] extends 'optional' ? ValueOf<A[N]> | undefined : ValueOf<A[N]>
  >;
};
