// Schemas and diagnostics as the protocol carries them: the provider's TfSchema (handler.ts)
// becomes tfplugin6.Schema (attribute types as cty type JSON, descriptions, nested blocks), and
// TfDiagnostic becomes tfplugin6.Diagnostic with its attribute path.

import type { CtyType, ProviderSchemas, TfBlock, TfDiagnostic, TfSchema } from '../handler.js';
import { typeToJson } from './cty.js';
import { toProtoPath, type ProtoPath } from './paths.js';

const NESTING = { single: 'SINGLE', list: 'LIST', set: 'SET', map: 'MAP', group: 'GROUP' } as const;

export function blockToProto(b: TfBlock, version = 0): object {
  return {
    version,
    attributes: b.attributes.map((a) => ({
      name: a.name,
      type: Buffer.from(JSON.stringify(typeToJson(a.type)), 'utf8'),
      description: a.description ?? '',
      description_kind: 'PLAIN',
      required: !!a.required,
      optional: !!a.optional,
      computed: !!a.computed,
      sensitive: !!a.sensitive,
      deprecated: !!a.deprecated,
    })),
    block_types: (b.blockTypes ?? []).map((n) => ({
      type_name: n.typeName,
      block: blockToProto(n.block),
      nesting: NESTING[n.nesting],
      min_items: n.minItems ?? 0,
      max_items: n.maxItems ?? 0,
    })),
    description: b.description ?? '',
    description_kind: 'PLAIN',
    deprecated: !!b.deprecated,
  };
}

export function schemaToProto(s: TfSchema): object {
  return { version: s.version, block: blockToProto(s.block, s.version) };
}

export function schemasToProto(s: ProviderSchemas): {
  provider: object;
  resource_schemas: Record<string, object>;
  data_source_schemas: Record<string, object>;
} {
  const map = (m: Record<string, TfSchema>): Record<string, object> =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, schemaToProto(v)]));
  return {
    provider: schemaToProto(s.provider),
    resource_schemas: map(s.resources),
    data_source_schemas: map(s.dataSources),
  };
}

export interface ProtoDiagnostic {
  severity: 'ERROR' | 'WARNING';
  summary: string;
  detail: string;
  attribute?: ProtoPath;
}

/** A diagnostic for the wire; `type` (the object the path points into) tells attribute names
 * from map keys. */
export function diagnosticToProto(d: TfDiagnostic, type?: CtyType): ProtoDiagnostic {
  const out: ProtoDiagnostic = {
    severity: d.severity === 'warning' ? 'WARNING' : 'ERROR',
    summary: d.summary,
    detail: d.detail ?? '',
  };
  if (d.attribute?.length) out.attribute = toProtoPath(d.attribute, type);
  return out;
}

export function diagnosticsToProto(
  ds: readonly TfDiagnostic[] | undefined,
  type?: CtyType,
): ProtoDiagnostic[] {
  return (ds ?? []).map((d) => diagnosticToProto(d, type));
}
