// `cmek policy check` as a library: read plans, states, cdktf output and .tf configurations,
// run the CMEK rules and the review findings over them through the resource role tables
// (cmek_* and FOREIGN_ROLES), and render text, JSON, SARIF 2.1.0 or JUnit (docs/policy.md).

export { policyCheck, checkInputs, exitCodeOf, policyRoles } from './check.js';
export type { CheckOptions, CheckResult } from './check.js';
export { readInputs, readInput } from './inputs.js';
export { planResources, isPlanOrState } from './plan-json.js';
export { loadPolicyConfig, parsePolicyConfig, CONFIG_FILE } from './config.js';
export type { PolicyConfig, ConfiguredSeverity } from './config.js';
export {
  render,
  renderText,
  renderJson,
  renderSarif,
  renderJunit,
  REPORT_FORMATS,
  helpAnchor,
  defaultHelpBase,
} from './report.js';
export type { ReportFormat } from './report.js';
export type { Finding, PolicyInput, PolicyResource, InlineSkip, Suppression } from './types.js';
