// The values `cmek policy check` passes between its stages: resources read from an input
// (plan JSON, state, cdktf output, .tf directory) with where they came from and their inline
// suppressions, and the findings reported at the end.

import type { Diagnostic, Severity } from '../model/diagnostics.js';
import type { CmekResourceChange } from '../rules/index.js';

/** An inline suppression written on a resource (tag, label or HCL comment). */
export interface InlineSkip {
  code: string;
  reason: string;
  /** Where it is written, e.g. `tags["cmek:skip"]` or `main.tf:12`. */
  source: string;
}

/** One resource of one input, ready for `cmekRuleInput`. */
export interface PolicyResource extends CmekResourceChange {
  skips?: InlineSkip[];
}

/** What one input path yielded. */
export interface PolicyInput {
  /** The path as given on the command line. */
  path: string;
  /** plan | state | cdktf | hcl */
  kind: 'plan' | 'state' | 'cdktf' | 'hcl';
  resources: PolicyResource[];
  /** Non-fatal notes (module calls not followed, values depending on variables). */
  notes: Diagnostic[];
  /** For JSON inputs: the line of each resource address in the file, for locations. */
  lineOf?: (address: string) => number | undefined;
  /** For JSON inputs: the file to point SARIF locations at. */
  file?: string;
}

export interface Suppression {
  kind: 'external' | 'inSource';
  justification: string;
}

/** A rule's diagnostic after severity configuration and suppressions. */
export interface Finding extends Diagnostic {
  /** The input path the finding comes from. */
  input: string;
  severity: Severity;
  suppressed?: Suppression;
}
