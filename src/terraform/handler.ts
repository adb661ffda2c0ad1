// The seam between the Terraform plugin protocol (tfplugin6 over go-plugin's gRPC handshake:
// src/terraform/wire/) and the cmek provider itself (src/terraform/provider.ts). The wire side
// decodes DynamicValues (cty msgpack or JSON) into plain `Value`s by the schema, with `Unknown`
// for unknown values (carrying terraform's refinements), calls these methods, and encodes what
// they return. The provider side never sees protobuf, msgpack or gRPC.

import type { Value } from '../model/values.js';

/** A cty type as the schema declares it. */
export type CtyType =
  | 'string'
  | 'number'
  | 'bool'
  | 'dynamic'
  | { list: CtyType }
  | { set: CtyType }
  | { map: CtyType }
  | { object: Record<string, CtyType>; optional?: readonly string[] }
  | { tuple: readonly CtyType[] };

export interface TfAttribute {
  name: string;
  type: CtyType;
  description?: string;
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  sensitive?: boolean;
  deprecated?: boolean;
}

export interface TfNestedBlock {
  typeName: string;
  nesting: 'single' | 'list' | 'set' | 'map' | 'group';
  block: TfBlock;
  minItems?: number;
  maxItems?: number;
}

export interface TfBlock {
  attributes: readonly TfAttribute[];
  blockTypes?: readonly TfNestedBlock[];
  description?: string;
  deprecated?: boolean;
}

export interface TfSchema {
  version: number;
  block: TfBlock;
}

/** A path into an object value: attribute names and element keys/indexes. */
export type TfPath = ReadonlyArray<string | number>;

export interface TfDiagnostic {
  severity: 'error' | 'warning';
  summary: string;
  detail?: string;
  attribute?: TfPath;
}

/** An object value as decoded by its block schema: every attribute present, `null` where unset,
 * `Unknown` where unknown. */
export type TfObject = Record<string, Value>;

export interface ProviderSchemas {
  provider: TfSchema;
  resources: Record<string, TfSchema>;
  dataSources: Record<string, TfSchema>;
}

export interface PlanResult {
  plannedState: TfObject | null;
  requiresReplace?: readonly TfPath[];
  plannedPrivate?: Uint8Array;
  diagnostics?: readonly TfDiagnostic[];
}

export interface StateResult {
  /** null = the object is gone (ReadResource: deleted outside terraform; Apply: destroyed). */
  state: TfObject | null;
  private?: Uint8Array;
  diagnostics?: readonly TfDiagnostic[];
}

export interface ImportedResource {
  typeName: string;
  state: TfObject;
  private?: Uint8Array;
}

/** What the cmek provider implements; the wire layer calls it once per RPC. */
export interface ProviderHandler {
  schemas(): ProviderSchemas;
  validateProviderConfig(config: TfObject): readonly TfDiagnostic[];
  configureProvider(config: TfObject, terraformVersion: string): Promise<readonly TfDiagnostic[]>;
  validateResourceConfig(typeName: string, config: TfObject): readonly TfDiagnostic[];
  /** `rawState` is the stored JSON object (already parsed); return it in the current schema.
   * At the current schema version it arrives decoded by that schema (numbers beyond 2^53 as
   * exact decimal strings, `dynamic` attributes unwrapped); at an older version as plain JSON. */
  upgradeResourceState(
    typeName: string,
    version: number,
    rawState: Record<string, unknown>,
  ): { state: TfObject; diagnostics?: readonly TfDiagnostic[] };
  readResource(typeName: string, current: TfObject, priv: Uint8Array): Promise<StateResult>;
  /** `proposed` is terraform's proposed new state (config merged with prior computed values);
   * null when the resource is being destroyed. */
  planResourceChange(
    typeName: string,
    prior: TfObject | null,
    proposed: TfObject | null,
    config: TfObject | null,
    priorPrivate: Uint8Array,
  ): Promise<PlanResult>;
  applyResourceChange(
    typeName: string,
    prior: TfObject | null,
    planned: TfObject | null,
    config: TfObject | null,
    plannedPrivate: Uint8Array,
  ): Promise<StateResult>;
  importResourceState(
    typeName: string,
    id: string,
  ): Promise<{ imported: readonly ImportedResource[]; diagnostics?: readonly TfDiagnostic[] }>;
  validateDataResourceConfig(typeName: string, config: TfObject): readonly TfDiagnostic[];
  readDataSource(
    typeName: string,
    config: TfObject,
  ): Promise<{ state: TfObject | null; diagnostics?: readonly TfDiagnostic[] }>;
  /** StopProvider / Shutdown: cancel what runs, release locks and files. */
  stop(): Promise<void>;
}
