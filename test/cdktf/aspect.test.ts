// The CmekRules Aspect: each cross-resource rule fails `app.synth()` with its code, annotated on
// the offending construct; a clean stack synthesizes; references between constructs resolve to
// the referenced resource's address (so a same-stack key keeps its region).
import {
  AnnotationMetadataEntryType,
  App,
  Aspects,
  TerraformResource,
  TerraformStack,
  Testing,
} from 'cdktf';
import { Construct } from 'constructs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CmekProvider,
  CmekRules,
  EncryptedService,
  KmsKey,
  annotationMessage,
  checkStack,
  stackResources,
} from '../../src/cdktf/index.js';
import { isUnknown } from '../../src/model/values.js';
import { RULES } from '../../src/rules/index.js';
import { RULE_CASES, cleanStack } from './cases.js';

const out = mkdtempSync(join(tmpdir(), 'cmek-cdktf-aspect-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function newStack(name: string): { app: App; stack: TerraformStack } {
  const app = new App({ outdir: join(out, name) });
  return { app, stack: new TerraformStack(app, 'app') };
}

/** Error annotations on the construct with this id: their messages. */
function errorsOn(stack: TerraformStack, id: string): string[] {
  const c = stack.node.findAll().find((x) => x.node.id === id);
  expect(c, id).toBeDefined();
  return c!.node.metadata
    .filter((m) => m.type === AnnotationMetadataEntryType.ERROR)
    .map((m) => String(m.data));
}

describe('CmekRules fails synth for each cross-resource rule', () => {
  it.each(Object.entries(RULE_CASES))('%s', (code, c) => {
    expect(Object.keys(RULES)).toContain(code);
    const { app, stack } = newStack(code);
    c.build(stack);
    Aspects.of(stack).add(new CmekRules());
    expect(() => app.synth()).toThrow(`[app/${c.at}] [${code}]`);
    const errors = errorsOn(stack, c.at);
    expect(errors.length).toBe(1);
    // Only this rule fires (the cases break one rule each); the annotation is its diagnostic:
    // the code, the summary with the address and attribute, then the detail with the remedy.
    const findings = checkStack(stack);
    expect(findings.map((f) => f.diagnostic.code)).toEqual([code]);
    expect(errors[0]).toBe(annotationMessage(findings[0]!.diagnostic));
    expect(errors[0]).toMatch(new RegExp(`^\\[${code}\\] .+\\n.+`, 's'));
  });

  it('a stack that breaks no rule synthesizes, with no annotations', () => {
    const { app, stack } = newStack('clean');
    cleanStack(stack);
    Aspects.of(stack).add(new CmekRules());
    app.synth();
    const levels = new Set<string>(Object.values(AnnotationMetadataEntryType));
    const notes = stack.node.findAll().flatMap((c) => c.node.metadata);
    expect(notes.filter((m) => levels.has(m.type))).toEqual([]);
  });

  it('synthesizing twice reports a finding once', () => {
    const c = RULE_CASES.CMEK_REGION_MISMATCH!;
    const { stack } = newStack('twice');
    c.build(stack);
    Aspects.of(stack).add(new CmekRules());
    Testing.synth(stack);
    Testing.synth(stack);
    expect(errorsOn(stack, c.at)).toHaveLength(1);
  });

  it('added to a construct inside the stack, it reports only findings under it', () => {
    const { app, stack } = newStack('scoped');
    new CmekProvider(stack, 'cmek');
    const key = new KmsKey(stack, 'k', { region: 'eu-west-1' });
    const team = new Construct(stack, 'team');
    const other = new Construct(stack, 'other');
    new EncryptedService(team, 'us', { name: 'us', region: 'us-east-1', kmsKey: key.arn });
    new EncryptedService(other, 'ap', { name: 'ap', region: 'ap-south-1', kmsKey: key.arn });
    Aspects.of(team).add(new CmekRules());
    expect(() => app.synth()).toThrow('[app/team/us] [CMEK_REGION_MISMATCH]');
    expect(errorsOn(stack, 'ap')).toEqual([]);
  });

  it('the stack without the Aspect synthesizes (the rules are opt-in at synth)', () => {
    const { app, stack } = newStack('no-aspect');
    RULE_CASES.CMEK_REGION_MISMATCH!.build(stack);
    expect(() => app.synth()).not.toThrow();
  });
});

describe('the rules input built from the construct tree', () => {
  it('references resolve to the referenced construct, which keeps its region', () => {
    const { stack } = newStack('refs');
    const key = new KmsKey(stack, 'orders', { region: 'eu-west-1' });
    new EncryptedService(stack, 'db', { name: 'db', region: 'eu-west-1', kmsKey: key.arn });
    const changes = stackResources(stack).map((r) => r.change);
    const db = changes.find((c) => c.address === 'cmek_encrypted_service.db')!;
    expect(db.action).toBe('create');
    expect(db.refs).toEqual({ kms_key: 'cmek_kms_key.orders.arn' });
    const v = db.after!.kms_key;
    expect(isUnknown(v) && v.facts?.address).toBe('cmek_kms_key.orders');
    // Defaults of the definitions apply, as in the engine's plan.
    expect(db.after!.profile).toBe('clickhouse');
    const k = changes.find((c) => c.address === 'cmek_kms_key.orders')!;
    expect(k.after).toMatchObject({ region: 'eu-west-1', deletion_window_in_days: 30 });
  });

  it('resources of types without a role are read, and judged by no rule', () => {
    const { stack } = newStack('foreign');
    new KmsKey(stack, 'k', { region: 'eu-west-1' });
    new TerraformResource(stack, 'pet', { terraformResourceType: 'random_pet' });
    expect(stackResources(stack).map((r) => r.change.address)).toEqual([
      'cmek_kms_key.k',
      'random_pet.pet',
    ]);
    expect(checkStack(stack)).toEqual([]);
  });
});
