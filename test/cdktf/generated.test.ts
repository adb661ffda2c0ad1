// The generated constructs (src/cdktf/generated.ts) against the resource definitions they are
// generated from: the committed file is what `npm run gen:cdktf` writes now (so it cannot drift
// from src/resources), one class per type, every configurable attribute synthesizes under its
// snake_case name, and every attribute getter synthesizes a reference.
import { readFileSync } from 'node:fs';
import { TerraformOutput, TerraformStack, Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { className, GENERATED_FILE, renderGenerated } from '../../scripts/gen-cdktf.js';
import * as constructs from '../../src/cdktf/index.js';
import { describeResources, RESOURCE_TYPES } from '../../src/resources/index.js';
import type { AttrType } from '../../src/resources/index.js';

type Ctor = (new (scope: TerraformStack, id: string, config: object) => object) & {
  tfResourceType: string;
};
const classes = constructs as unknown as Record<string, Ctor>;

const SAMPLE: Record<AttrType, unknown> = {
  string: 'text',
  number: 7,
  bool: true,
  'map(string)': { team: 'payments' },
  'list(string)': ['a', 'b'],
};

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

describe('src/cdktf/generated.ts', () => {
  it('is exactly what npm run gen:cdktf renders from the resource definitions', async () => {
    const committed = readFileSync(GENERATED_FILE, 'utf8');
    // On failure: run `npm run gen:cdktf` and commit the result.
    expect(committed === (await renderGenerated()), 'stale: run npm run gen:cdktf').toBe(true);
  });

  it('has one construct per resource type, named after it, with its tfResourceType', () => {
    const types = describeResources().map((d) => d.type);
    expect(types.sort()).toEqual(Object.keys(RESOURCE_TYPES).sort());
    expect(types.map(className).sort()).toEqual(
      [
        'Backup',
        'BackupRestore',
        'Clone',
        'EncryptedService',
        'KmsKey',
        'KmsKeyPolicy',
        'Replica',
      ].sort(),
    );
    for (const t of types) expect(classes[className(t)]!.tfResourceType).toBe(t);
  });

  it.each(describeResources().map((d) => [d.type, d] as const))(
    '%s: props synthesize as snake_case attributes; getters synthesize references',
    (type, d) => {
      const stack = new TerraformStack(Testing.app(), 'app');
      const config: Record<string, unknown> = {};
      const expected: Record<string, unknown> = {};
      for (const a of d.attributes) {
        if (!a.required && !a.optional) continue;
        config[camel(a.name)] = SAMPLE[a.type];
        expected[a.name] = SAMPLE[a.type];
      }
      const r = new classes[className(type)]!(stack, 'r', config) as Record<string, unknown>;
      for (const a of d.attributes)
        new TerraformOutput(stack, `o_${a.name}`, { value: r[camel(a.name)] });
      const tf = JSON.parse(Testing.synth(stack)) as {
        resource: Record<string, Record<string, Record<string, unknown>>>;
        output: Record<string, { value: unknown }>;
      };
      expect(tf.resource[type]!.r).toEqual(expected);
      for (const a of d.attributes)
        expect(tf.output[`o_${a.name}`]!.value, a.name).toBe(`\${${type}.r.${a.name}}`);
    },
  );
});
