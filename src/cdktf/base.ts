// The runtime under the generated cdktf constructs (generated.ts): one TerraformResource
// subclass that keeps the configured inputs by their snake_case attribute name and synthesizes
// them to Terraform JSON / HCL with cdktf's own converters. The generated classes only add the
// typed props, the attribute getters and `tfResourceType`; what an attribute is (its name, type,
// mode) comes from the resource definitions in src/resources (see docs/cdktf.md).
import type { Construct } from 'constructs';
import * as cdktf from 'cdktf';
import type { AttrType } from '../resources/define.js';

/** The props every cmek construct takes besides its attributes (terraform meta-arguments). */
export type CmekResourceOptions = cdktf.TerraformMetaArguments;

/** One configurable attribute: its camelCase prop name, snake_case name and value type. */
export type InputSpec = readonly [prop: string, attribute: string, type: AttrType];

const META = new Set([
  'dependsOn',
  'count',
  'provider',
  'lifecycle',
  'forEach',
  'provisioners',
  'connection',
]);

function toTerraform(type: AttrType, v: unknown): unknown {
  switch (type) {
    case 'string':
      return cdktf.stringToTerraform(v);
    case 'number':
      return cdktf.numberToTerraform(v);
    case 'bool':
      return cdktf.booleanToTerraform(v);
    case 'map(string)':
      return cdktf.hashMapper(cdktf.stringToTerraform)(v);
    case 'list(string)':
      return cdktf.listMapper(cdktf.stringToTerraform, false)(v);
  }
}

const HCL: Record<AttrType, { type: string; storageClassType: string }> = {
  string: { type: 'simple', storageClassType: 'string' },
  number: { type: 'simple', storageClassType: 'number' },
  bool: { type: 'simple', storageClassType: 'boolean' },
  'map(string)': { type: 'map', storageClassType: 'stringMap' },
  'list(string)': { type: 'list', storageClassType: 'stringList' },
};

function toHcl(type: AttrType, v: unknown): unknown {
  switch (type) {
    case 'string':
      return cdktf.stringToHclTerraform(v);
    case 'number':
      return cdktf.numberToHclTerraform(v);
    case 'bool':
      return cdktf.booleanToHclTerraform(v);
    case 'map(string)':
      return cdktf.hashMapperHcl(cdktf.stringToHclTerraform)(v);
    case 'list(string)':
      return cdktf.listMapperHcl(cdktf.stringToHclTerraform, false)(v);
  }
}

/** A `cmek_*` resource construct. Subclasses are generated (generated.ts). */
export abstract class CmekResource extends cdktf.TerraformResource {
  private readonly inputSpecs: readonly InputSpec[];
  private readonly inputs = new Map<string, unknown>();

  protected constructor(
    scope: Construct,
    id: string,
    terraformResourceType: string,
    config: object,
    inputs: readonly InputSpec[],
  ) {
    const meta = config as cdktf.TerraformMetaArguments;
    super(scope, id, {
      terraformResourceType,
      terraformGeneratorMetadata: { providerName: 'cmek' },
      ...(meta.provider ? { provider: meta.provider } : {}),
      ...(meta.dependsOn ? { dependsOn: meta.dependsOn } : {}),
      ...(meta.count !== undefined ? { count: meta.count } : {}),
      ...(meta.lifecycle ? { lifecycle: meta.lifecycle } : {}),
      ...(meta.forEach ? { forEach: meta.forEach } : {}),
      ...(meta.provisioners ? { provisioners: meta.provisioners } : {}),
      ...(meta.connection ? { connection: meta.connection } : {}),
    });
    this.inputSpecs = inputs;
    const known = new Set(inputs.map(([prop]) => prop));
    for (const [k, v] of Object.entries(config)) {
      // A typo or a computed attribute in the props (plain JavaScript, or a cast): say so at
      // synth time, where cdktf shows it with the construct path, instead of dropping it.
      if (META.has(k) || v === undefined || known.has(k)) continue;
      cdktf.Annotations.of(this).addError(
        `[CONFIG_SCHEMA] ${terraformResourceType} has no configurable attribute "${k}". ` +
          `Configurable: ${inputs.map(([p]) => p).join(', ')}.`,
      );
    }
    for (const [prop, attr] of inputs) {
      const v = (config as Record<string, unknown>)[prop];
      if (v !== undefined) this.inputs.set(attr, v);
    }
  }

  /** Set (or with `undefined`, clear) the input of a configurable attribute. */
  protected setInput(attribute: string, value: unknown): void {
    if (value === undefined) this.inputs.delete(attribute);
    else this.inputs.set(attribute, value);
  }

  /** The configured value of an attribute (as given, tokens unresolved). */
  protected input(attribute: string): unknown {
    return this.inputs.get(attribute);
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [, attr, type] of this.inputSpecs)
      out[attr] = toTerraform(type, this.inputs.get(attr));
    return out;
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [, attr, type] of this.inputSpecs) {
      const v = this.inputs.get(attr);
      if (v === undefined) continue;
      out[attr] = { value: toHcl(type, v), isBlock: false, ...HCL[type] };
    }
    return out;
  }
}
