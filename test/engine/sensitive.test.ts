// `sensitive`: the marks (src/model/values.ts), how they travel through expressions, and how the
// engine keeps them beside plain values through plan, apply, state and the renderers, with a
// throwaway resource type that declares a sensitive attribute.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { mapScope, parseExpression } from '../../src/engine/config/index.js';
import {
  apply,
  plan,
  renderPlanJson,
  renderPlanText,
  renderStateText,
} from '../../src/engine/index.js';
import {
  containsSensitive,
  containsUnknown,
  isUnknown,
  markPaths,
  Sensitive,
  sensitiveMask,
  stripMarks,
  UNKNOWN,
  unknownMask,
  unmark,
  type Value,
} from '../../src/model/values.js';
import { defineResource } from '../../src/resources/define.js';
import { stateSensitivePaths, toStateSensitive } from '../../src/engine/sensitive.js';
import { makeWorld, workdir, write } from './fake.js';

describe('marks in the model', () => {
  it('unmark takes marks off and reports their paths; markPaths puts them back', () => {
    const v: Value = { a: new Sensitive('x'), b: [1, new Sensitive({ c: 2 })], d: 'plain' };
    const { value, paths } = unmark(v);
    expect(value).toEqual({ a: 'x', b: [1, { c: 2 }], d: 'plain' });
    expect(containsSensitive(value)).toBe(false);
    expect(paths).toEqual([['a'], ['b', 1]]);
    const back = markPaths(value, paths) as Record<string, Value>;
    expect(back.a).toBeInstanceOf(Sensitive);
    expect((back.b as Value[])[1]).toBeInstanceOf(Sensitive);
    expect(back.d).toBe('plain');
    // The input is not changed, and a path that does not exist is ignored.
    expect(value).toEqual({ a: 'x', b: [1, { c: 2 }], d: 'plain' });
    expect(markPaths({ a: 1 }, [['zz', 'y']])).toEqual({ a: 1 });
    expect(stripMarks(back)).toEqual(value);
  });

  it("gives Terraform's sensitive mask, and sees unknowns inside a mark", () => {
    expect(sensitiveMask({ a: 'x', t: { k: 'v', j: 'w' } }, [['a'], ['t', 'k']])).toEqual({
      a: true,
      t: { k: true },
    });
    expect(sensitiveMask({ a: 'x' }, [])).toEqual({});
    expect(sensitiveMask('x', [[]])).toBe(true);
    const u = new Sensitive(UNKNOWN);
    expect(containsUnknown({ a: u })).toBe(true);
    expect(unknownMask({ a: u })).toEqual({ a: true });
    expect(new Sensitive(new Sensitive('x')).value).toBe('x');
    expect(JSON.stringify({ a: new Sensitive('x') })).toBe('{"a":"x"}');
  });

  it("converts paths to and from the state's sensitive_attributes", () => {
    const s = toStateSensitive([['description'], ['tags', 'token'], ['list', 0]]);
    expect(s).toEqual([
      [{ type: 'get_attr', value: 'description' }],
      [
        { type: 'get_attr', value: 'tags' },
        { type: 'index', value: { value: 'token', type: 'string' } },
      ],
      [
        { type: 'get_attr', value: 'list' },
        { type: 'index', value: { value: 0, type: 'number' } },
      ],
    ]);
    expect(stateSensitivePaths({ sensitive_attributes: s })).toEqual([
      ['description'],
      ['tags', 'token'],
      ['list', 0],
    ]);
    // A step it cannot read hides everything from there (more, never less).
    expect(
      stateSensitivePaths({
        sensitive_attributes: [[{ type: 'get_attr', value: 'a' }, { type: 'splat' }]],
      }),
    ).toEqual([['a']]);
  });
});

describe('marks travel through expressions', () => {
  const scope = mapScope('.', {
    'var.secret': new Sensitive('pw'),
    'var.plain': 'open',
    'var.list': ['a', new Sensitive('b')],
    'var.obj': new Sensitive({ k: 'v' }),
    'var.later': new Sensitive(UNKNOWN),
    'var.m': { x: 'y' },
  });
  const ev = (src: string): Value => {
    const { expr, diagnostics } = parseExpression(src, { file: 'main.tf', line: 1 });
    expect(diagnostics).toEqual([]);
    return expr.evaluate(scope);
  };
  const marked = (src: string, plain: Value) => {
    const v = ev(src);
    expect(v, src).toBeInstanceOf(Sensitive);
    expect((v as Sensitive).value, src).toEqual(plain);
  };

  it('marks the result of any operation or function on a marked value', () => {
    marked('var.secret', 'pw');
    marked('"x-${var.secret}"', 'x-pw');
    marked('jsonencode({ a = var.secret })', '{"a":"pw"}');
    marked('format("%s/%s", var.plain, var.secret)', 'open/pw');
    marked('merge(var.m, { s = var.secret })', { x: 'y', s: 'pw' });
    marked('lookup(var.obj, "k")', 'v');
    marked('var.obj.k', 'v');
    marked('var.obj["k"]', 'v');
    marked('var.secret == "pw"', true);
    marked('!(var.secret == "pw")', false);
    marked('var.secret == "pw" ? "a" : "b"', 'a');
    marked('{ (var.secret) = 1 }', { pw: 1 });
    marked('sensitive(var.plain)', 'open');
  });

  it('keeps the marks of elements in lists and objects, and of the element read', () => {
    const o = ev('{ a = var.secret, b = var.plain }') as Record<string, Value>;
    expect(o.a).toBeInstanceOf(Sensitive);
    expect(o.b).toBe('open');
    expect(ev('var.list[0]')).toBe('a');
    marked('var.list[1]', 'b');
    expect(ev('nonsensitive(var.secret)')).toBe('pw');
    expect(ev('"${var.plain}!"')).toBe('open!');
  });

  it('keeps the mark on an unknown', () => {
    const v = ev('"x-${var.later}"');
    expect(v).toBeInstanceOf(Sensitive);
    expect(isUnknown((v as Sensitive).value)).toBe(true);
    expect(containsUnknown(v)).toBe(true);
  });
});

function secretType() {
  const store = new Map<string, { name: string; token?: string | null; note?: string | null }>();
  let n = 0;
  const t = defineResource({
    type: 'demo_secret',
    description: 'A throwaway type with a sensitive attribute, for this test.',
    attributes: {
      name: { type: 'string', mode: 'required', description: 'Its name.' },
      note: { type: 'string', mode: 'optional', description: 'Free text.' },
      token: {
        type: 'string',
        mode: 'optional',
        sensitive: true,
        validate: z.string().min(3),
        description: 'A secret it is made with.',
      },
      id: { type: 'string', mode: 'computed', description: 'Its id.' },
    },
    async create(planned) {
      const id = `s-${++n}`;
      store.set(id, { name: planned.name, token: planned.token, note: planned.note });
      return { ...planned, id };
    },
    async read(prior) {
      return prior.id && store.has(prior.id) ? prior : null;
    },
    async update(prior, planned) {
      store.set(prior.id!, { name: planned.name, token: planned.token, note: planned.note });
      return { ...planned, id: prior.id! };
    },
    async delete(prior) {
      store.delete(prior.id!);
    },
  });
  return { t, store };
}

const CONFIG = `variable "pw" {
  type      = string
  sensitive = true
  default   = "hunter2-PW"
}

resource "demo_secret" "a" {
  name  = "a"
  note  = "uses \${var.pw}"
  token = "tok-TOKEN"
}

resource "demo_secret" "b" {
  name = demo_secret.a.token
}

output "note" {
  value     = demo_secret.a.note
  sensitive = true
}
`;

describe('the engine keeps marks beside plain values', () => {
  it('plans and applies plain values, hides marked ones in text, marks them in JSON and state', async () => {
    const { t, store } = secretType();
    const w = makeWorld();
    w.deps.resourceTypes.demo_secret = t;
    const dir = workdir({ 'main.tf': CONFIG });
    const p = await plan({ dir, deps: w.deps });
    expect(p.diagnostics).toEqual([]);
    const a = p.changes.find((c) => c.address === 'demo_secret.a')!;
    const b = p.changes.find((c) => c.address === 'demo_secret.b')!;
    // Resources see plain values; the marks are paths beside them.
    expect(a.after).toMatchObject({ name: 'a', note: 'uses hunter2-PW', token: 'tok-TOKEN' });
    expect(containsSensitive(a.after!)).toBe(false);
    expect(a.afterSensitive).toEqual([['token'], ['note']]);
    // A declared-sensitive attribute read by another resource marks what it is used in.
    expect(b.afterSensitive).toEqual([['token'], ['name']]);
    const text = renderPlanText(p);
    expect(text).not.toMatch(/hunter2|TOKEN/);
    expect(text).toContain('+ token = (sensitive value)');
    expect(text).toContain('+ note  = (sensitive value)');
    expect(text).toContain('+ note = (sensitive value)'); // the output
    const j = renderPlanJson(p) as {
      resource_changes: Array<{ address: string; change: Record<string, unknown> }>;
      planned_values: { root_module: { resources: Array<Record<string, unknown>> } };
    };
    const ja = j.resource_changes.find((c) => c.address === 'demo_secret.a')!.change;
    expect(ja.after_sensitive).toEqual({ token: true, note: true });
    expect(ja.before_sensitive).toBe(false);
    expect(ja.after).toMatchObject({ token: 'tok-TOKEN' }); // terraform's JSON keeps values
    expect(j.planned_values.root_module.resources[0]!.sensitive_values).toEqual({
      token: true,
      note: true,
    });

    const r = await apply(p, { dir, deps: w.deps });
    expect(r.diagnostics).toEqual([]);
    expect([...store.values()].map((s) => s.name)).toEqual(['a', 'tok-TOKEN']);
    const inst = (addr: string) =>
      r.state!.resources.find((x) => `${x.type}.${x.name}` === addr)!.instances[0]!;
    expect(inst('demo_secret.a').sensitive_attributes).toEqual(
      toStateSensitive([['token'], ['note']]),
    );
    expect(inst('demo_secret.a').attributes.token).toBe('tok-TOKEN');
    expect(r.state!.outputs.note).toMatchObject({ value: 'uses hunter2-PW', sensitive: true });
    expect(renderStateText(r.state)).not.toMatch(/hunter2|TOKEN/);

    // The next plan reads the marks back from the state: a change shows no value.
    write(dir, { 'main.tf': CONFIG.replace('hunter2-PW', 'hunter3-PW') });
    const p2 = await plan({ dir, deps: w.deps });
    expect(p2.diagnostics).toEqual([]);
    const a2 = p2.changes.find((c) => c.address === 'demo_secret.a')!;
    expect(a2.action).toBe('update');
    expect(a2.beforeSensitive).toEqual([['token'], ['note']]);
    const text2 = renderPlanText(p2);
    expect(text2).not.toMatch(/hunter|TOKEN/);
    expect(text2).toContain('~ note = (sensitive value)');
    expect(text2).toContain('~ note = (sensitive value)\n'); // the output, once
  });

  it('refuses a non-sensitive output that uses a sensitive value, at its file:line', async () => {
    const { t } = secretType();
    const w = makeWorld();
    w.deps.resourceTypes.demo_secret = t;
    const dir = workdir({
      'main.tf': [
        CONFIG,
        'output "leak" {',
        '  value = "the note is ${demo_secret.a.note}"',
        '}',
        '',
        'output "tok" {',
        '  value = demo_secret.a.token',
        '}',
        '',
        'output "ok" {',
        '  value = nonsensitive(demo_secret.a.token) == "x"',
        '}',
        '',
      ].join('\n'),
    });
    const p = await plan({ dir, deps: w.deps });
    expect(p.errored).toBe(true);
    const errs = p.diagnostics.map((d) => [d.code, d.summary, d.file, d.line]);
    expect(errs).toEqual([
      ['CONFIG_SCHEMA', 'Output refers to sensitive values', 'main.tf', 22],
      ['CONFIG_SCHEMA', 'Output refers to sensitive values', 'main.tf', 26],
    ]);
    expect(p.diagnostics[0]!.detail).toContain('sensitive = true');
  });
});
