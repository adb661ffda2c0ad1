// The CrossGuard policies of the pack, as plain @pulumi/policy objects (testable by calling
// `validateResource` / `validateStack`): the CMEK rules are mandatory, the review findings
// advisory, each judged per resource and for the whole stack (src/pulumi-policy/judge.ts).
// Optional policy config: `servicePrincipal`, the principal services call the KMS as.
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from '@pulumi/policy';
import { DEFAULT_SERVICE_PRINCIPAL } from '../resources/types.js';
import { judgeResource, judgeStack, violationMessage, type PackFinding } from './judge.js';

const configSchema = {
  properties: {
    servicePrincipal: {
      type: 'string' as const,
      description: 'The principal services call the KMS as (default: cmek’s default principal).',
    },
  },
};

function principal(args: { getConfig<T extends object>(): T }): string {
  const c = args.getConfig<{ servicePrincipal?: string }>();
  return c.servicePrincipal || DEFAULT_SERVICE_PRINCIPAL;
}

function report(
  findings: readonly PackFinding[],
  severity: 'error' | 'warning',
  reportViolation: ReportViolation,
): void {
  for (const f of findings)
    if (f.diagnostic.severity === severity) reportViolation(violationMessage(f.diagnostic), f.urn);
}

function resourceOf(args: ResourceValidationArgs | PolicyResource) {
  return {
    type: args.type,
    urn: args.urn,
    name: args.name,
    props: args.props as Record<string, unknown>,
    ...('propertyDependencies' in args ? { propertyDependencies: args.propertyDependencies } : {}),
    ...(args.provider
      ? { provider: { props: args.provider.props as Record<string, unknown> } }
      : {}),
  };
}

function resourcePolicy(
  name: string,
  description: string,
  severity: 'error' | 'warning',
): ResourceValidationPolicy {
  return {
    name,
    description,
    enforcementLevel: severity === 'error' ? 'mandatory' : 'advisory',
    configSchema,
    validateResource: (args, reportViolation) =>
      report(judgeResource(resourceOf(args), principal(args)), severity, reportViolation),
  };
}

function stackPolicy(
  name: string,
  description: string,
  severity: 'error' | 'warning',
): StackValidationPolicy {
  return {
    name,
    description,
    enforcementLevel: severity === 'error' ? 'mandatory' : 'advisory',
    configSchema,
    validateStack: (args: StackValidationArgs, reportViolation) =>
      report(
        judgeStack(args.resources.map(resourceOf), principal(args)),
        severity,
        reportViolation,
      ),
  };
}

/** The CMEK rules one resource's properties break (cmek, AWS RDS/KMS, Google Cloud SQL/KMS). */
export const cmekResourceRules = resourcePolicy(
  'cmek-resource-rules',
  'CMEK rules one resource breaks on its own: a key of another region, a key reference of the wrong format, a key policy that does not grant the service principal or is public.',
  'error',
);
/** The review findings one resource shows (rotation off, short deletion window, ...). */
export const cmekResourceReview = resourcePolicy(
  'cmek-resource-review',
  'CMEK review findings on one resource: key rotation off, a short deletion window, a key named by alias.',
  'warning',
);
/** The CMEK rules the stack breaks across resources (replica/primary, clone/source, key/service
 * regions through references). */
export const cmekStackRules = stackPolicy(
  'cmek-stack-rules',
  'CMEK rules across resources: a replica or clone with another key than its primary or source, a service in another region than the key it references, a replica of an unencrypted primary.',
  'error',
);
/** The review findings across resources. */
export const cmekStackReview = stackPolicy(
  'cmek-stack-review',
  'CMEK review findings across resources.',
  'warning',
);

/** Every policy of the pack. */
export const cmekPolicies = [
  cmekResourceRules,
  cmekResourceReview,
  cmekStackRules,
  cmekStackReview,
];
