// A resource type declared once (defineResource) is planned, applied, validated, documented and
// seen by the rules with nothing else written for it: the engine runs with injected deps (the
// fake world of test/engine/fake.ts) plus this one declaration.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { apply, plan } from '../../src/engine/index.js';
import { Unknown } from '../../src/model/values.js';
import {
  RESOURCE_ROLES,
  RESOURCE_TYPES,
  defineResource,
  describeResource,
  rolesOf,
} from '../../src/resources/index.js';
import { newResourcePage, renderResourcePage } from '../../src/resources/docs.js';
import { cmekRuleInput } from '../../src/rules/index.js';
import { makeWorld, workdir, write } from '../engine/fake.js';

function widgetType() {
  const store = new Map<string, Record<string, string | number | null>>();
  let n = 0;
  const widget = defineResource({
    type: 'demo_widget',
    description: 'A widget in an in-memory store, for this test.',
    attributes: {
      name: {
        type: 'string',
        mode: 'required',
        forceNew: true,
        validate: z.string().regex(/^[a-z]+$/, 'name is lowercase letters'),
        description: 'Name of the widget: lowercase letters.',
      },
      size: {
        type: 'number',
        mode: 'optional',
        default: 1,
        validate: z.number().int().min(1),
        description: 'How big it is, at least 1 (default 1).',
      },
      min_size: {
        type: 'number',
        mode: 'optional',
        description: 'Smallest allowed size; at most `size`.',
      },
      token: {
        type: 'string',
        mode: 'optional',
        sensitive: true,
        description: 'A secret the widget is made with.',
      },
      kms_key: { type: 'string', mode: 'optional', description: 'The key protecting it.' },
      id: { type: 'string', mode: 'computed', description: 'Widget id, `w-N`.' },
    },
    role: { kind: 'service', keyAttribute: 'kms_key', regionAttribute: 'name' },
    validate(v, ctx) {
      if (v.min_size !== undefined && v.size !== undefined && v.min_size > v.size)
        ctx.addIssue({ code: 'custom', path: ['min_size'], message: 'min_size is above size' });
    },
    // Typed CRUD: `planned.name` is a string and `planned.size` a number, without casts.
    async create(planned) {
      const id = `w-${++n}`;
      const rec = { name: planned.name.toLowerCase(), size: planned.size ?? 1, id };
      store.set(id, rec);
      return { ...planned, ...rec };
    },
    async read(prior) {
      const rec = prior.id ? store.get(prior.id) : undefined;
      return rec ? { ...prior, ...rec } : null;
    },
    async update(prior, planned) {
      const rec = { ...store.get(prior.id!)!, size: planned.size ?? 1 };
      store.set(prior.id!, rec);
      return { ...planned, ...rec };
    },
    async delete(prior) {
      store.delete(prior.id!);
    },
  });
  return { widget, store };
}

describe('a resource type from one declaration', () => {
  it('derives the engine fields: schema, computed, forceNew, plan defaults', () => {
    const { widget } = widgetType();
    expect(widget.type).toBe('demo_widget');
    expect(widget.computed).toEqual(['id']);
    expect(widget.forceNew).toEqual(['name']);
    expect(widget.sensitive).toEqual(['token']);
    const p = widget.plan({ config: { name: 'a' } });
    expect(p.after.size).toBe(1);
    expect(p.after.id).toBeInstanceOf(Unknown);
    const r = widget.plan({ config: { name: 'b' }, prior: { name: 'a', size: 1, id: 'w-1' } });
    expect(r.requiresReplace).toEqual(['name']);
    expect(widget.schema.safeParse({ name: 'a', size: 0 }).success).toBe(false);
  });

  it('is planned and applied through the engine, and updated in place', async () => {
    const { widget, store } = widgetType();
    const w = makeWorld();
    w.deps.resourceTypes.demo_widget = widget;
    const dir = workdir({ 'main.tf': 'resource "demo_widget" "w" {\n  name = "alpha"\n}\n' });
    const p = await plan({ dir, deps: w.deps });
    expect(p.diagnostics).toEqual([]);
    expect(p.changes.map((c) => [c.address, c.action])).toEqual([['demo_widget.w', 'create']]);
    const r = await apply(p, { dir, deps: w.deps });
    expect(r.diagnostics).toEqual([]);
    expect([...store.values()]).toEqual([{ name: 'alpha', size: 1, id: 'w-1' }]);
    const attrs = r.state!.resources[0]!.instances[0]!.attributes;
    expect(attrs).toMatchObject({ name: 'alpha', size: 1, id: 'w-1' });

    write(dir, { 'main.tf': 'resource "demo_widget" "w" {\n  name = "alpha"\n  size = 3\n}\n' });
    const p2 = await plan({ dir, deps: w.deps });
    expect(p2.changes.map((c) => c.action)).toEqual(['update']);
    const r2 = await apply(p2, { dir, deps: w.deps });
    expect(r2.diagnostics).toEqual([]);
    expect(store.get('w-1')!.size).toBe(3);
  });

  it('validates: a bad value, a cross-attribute check and a missing argument, with file:line', async () => {
    const { widget } = widgetType();
    const w = makeWorld();
    w.deps.resourceTypes.demo_widget = widget;
    const dir = workdir({
      'main.tf': [
        'resource "demo_widget" "bad" {',
        '  name     = "Alpha"',
        '  size     = 2',
        '  min_size = 5',
        '}',
        '',
        'resource "demo_widget" "nameless" {',
        '  size = 2',
        '}',
        '',
      ].join('\n'),
    });
    const p = await plan({ dir, deps: w.deps });
    const brief = p.diagnostics.map((d) => [d.code, d.address, d.attribute, d.file, d.line]);
    expect(brief).toEqual(
      expect.arrayContaining([
        ['CONFIG_SCHEMA', 'demo_widget.bad', 'name', 'main.tf', 2],
        ['CONFIG_SCHEMA', 'demo_widget.bad', 'min_size', 'main.tf', 4],
        ['CONFIG_SCHEMA', 'demo_widget.nameless', 'name', 'main.tf', 7],
      ]),
    );
    const bad = p.diagnostics.find(
      (d) => d.attribute === 'name' && d.address === 'demo_widget.bad',
    )!;
    expect(bad.detail).toContain('name is lowercase letters');
    const missing = p.diagnostics.find((d) => d.address === 'demo_widget.nameless')!;
    expect(missing.summary).toBe('Missing required argument');
    expect(missing.detail).toContain(
      'The argument "name" is required, but no definition was found.',
    );
    expect(missing.detail).not.toMatch(/received undefined/);
  });

  it('is documented: the tables come from the declaration', () => {
    const { widget } = widgetType();
    const d = describeResource(widget.definition);
    expect(JSON.parse(JSON.stringify(d))).toEqual(d); // plain, serializable
    expect(d.attributes.find((a) => a.name === 'token')).toMatchObject({
      type: 'string',
      optional: true,
      required: false,
      computed: false,
      sensitive: true,
    });
    const page = newResourcePage(d);
    expect(page).toContain('| `name` | yes | yes | Name of the widget: lowercase letters. |');
    expect(page).toContain(
      '| `token` | no | no | A secret the widget is made with. Sensitive: never shown in plan output. |',
    );
    expect(page).toContain('| `id` | Widget id, `w-N`. |');
    expect(renderResourcePage(page, d)).toBe(page);
  });

  it('its role is a row of the rules table, and the rules adapter sees it as a node', () => {
    const { widget } = widgetType();
    const roles = { ...RESOURCE_ROLES, ...rolesOf([widget]) };
    expect(roles.demo_widget).toEqual({
      kind: 'service',
      keyAttribute: 'kms_key',
      regionAttribute: 'name',
    });
    const input = cmekRuleInput(
      [
        {
          address: 'demo_widget.w',
          type: 'demo_widget',
          action: 'create',
          after: { name: 'alpha', kms_key: 'arn:aws:kms:alpha:111122223333:key/k1' },
        },
      ],
      { servicePrincipal: 'arn:aws:iam::111122223333:role/svc', roles },
    );
    expect(input.nodes).toMatchObject([
      { address: 'demo_widget.w', kind: 'service', region: 'alpha', keyWritten: true },
    ]);
    // Without the row, the type is not a CMEK resource.
    const none = cmekRuleInput(
      [{ address: 'demo_widget.w', type: 'demo_widget', action: 'create', after: {} }],
      { servicePrincipal: 'x', roles: RESOURCE_ROLES },
    );
    expect(none.nodes).toEqual([]);
  });
});

describe("this provider's declarations", () => {
  it('derive the same engine lists as before the declarations existed', () => {
    const lists = Object.fromEntries(
      Object.values(RESOURCE_TYPES).map((t) => [t.type, [t.computed, t.forceNew]]),
    );
    expect(lists).toEqual({
      cmek_kms_key: [
        ['id', 'arn', 'key_id', 'key_state', 'primary_version'],
        ['region', 'key_ring', 'name', 'multi_region'],
      ],
      cmek_kms_key_policy: [['id', 'policy_json'], ['key_id']],
      cmek_encrypted_service: [
        ['id', 'status', 'encrypted', 'kms_key_version'],
        ['name', 'region', 'profile'],
      ],
      cmek_replica: [
        ['id', 'status', 'effective_kms_key'],
        ['primary_id', 'name', 'region', 'kind', 'kms_key'],
      ],
      cmek_clone: [
        ['id', 'status', 'effective_kms_key'],
        ['source_id', 'name', 'region', 'kms_key'],
      ],
      cmek_backup: [
        ['id', 'encrypted', 'kms_key', 'size_bytes', 'created_at'],
        ['service_id', 'description'],
      ],
      cmek_backup_restore: [
        ['id', 'status', 'effective_kms_key'],
        ['backup_id', 'name', 'region', 'kms_key'],
      ],
    });
    expect(Object.keys(RESOURCE_ROLES).sort()).toEqual(Object.keys(RESOURCE_TYPES).sort());
  });
});

describe('the example of docs/engine.md, "Adding a resource type"', () => {
  it('declares a type the engine plans and applies, and the docs describe', async () => {
    const md = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'engine.md'), 'utf8');
    const section = md.slice(md.indexOf('## Adding a resource type'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
    // The example is written as a file of src/resources/; run it from here.
    const file = join(import.meta.dirname, `.doc-example-${process.pid}.ts`);
    writeFileSync(file, code.replace("'./define.js'", "'../../src/resources/define.js'"));
    try {
      const mod = (await import(file)) as { widget: ReturnType<typeof widgetType>['widget'] };
      const w = makeWorld();
      w.deps.resourceTypes.cmek_widget = mod.widget;
      const dir = workdir({ 'main.tf': 'resource "cmek_widget" "a" {\n  name = "alpha"\n}\n' });
      const p = await plan({ dir, deps: w.deps });
      expect(p.diagnostics).toEqual([]);
      const r = await apply(p, { dir, deps: w.deps });
      expect(r.diagnostics).toEqual([]);
      expect(r.state!.resources[0]!.instances[0]!.attributes).toMatchObject({
        name: 'alpha',
        size: 1,
        id: 'alpha',
      });
      const again = await plan({ dir, deps: w.deps });
      expect(again.changes.map((c) => c.action)).toEqual(['noop']);
      expect(rolesOf([mod.widget])).toEqual({
        cmek_widget: { kind: 'service', keyAttribute: 'kms_key' },
      });
      expect(newResourcePage(describeResource(mod.widget.definition))).toContain(
        '| `size` | no | no | How big it is (default 1). |',
      );
    } finally {
      rmSync(file, { force: true });
    }
  });
});
