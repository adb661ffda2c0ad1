// The function library through the real parser and evaluator: unknown, null and sensitive
// arguments as terraform treats them, errors with their code and line, try/can, the functions
// whose results cannot be recorded by the differential test (timestamp, uuid), templatefile,
// the generated function list of docs/configuration.md and its examples, and that every
// function is exercised by the differential corpus.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FIXTURE_DIR, readCorpus } from '../../../scripts/gen-tf-functions-fixture.js';
import { loadConfig, mapScope, parseExpression } from '../../../src/engine/config/index.js';
import { renderFunctionSection } from '../../../src/engine/config/functions/docs.js';
import { FUNCTION_NAMES, terraformJson } from '../../../src/engine/config/functions/index.js';
import { DiagnosticError, type Diagnostic } from '../../../src/model/diagnostics.js';
import { isUnknown, Sensitive, Unknown, UNKNOWN, type Value } from '../../../src/model/values.js';

const key = new Unknown({ address: 'cmek_kms_key.k', region: 'eu-west-1', provider: 'aws' });
const scope = mapScope(FIXTURE_DIR, {
  'var.u': UNKNOWN,
  'var.s': new Sensitive('secret'),
  'var.n': null,
  'cmek_kms_key.k': { arn: key },
});

function run(src: string, line = 1): Value {
  const { expr, diagnostics } = parseExpression(src, { file: 'main.tf', line });
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return expr.evaluate(scope);
}

function failure(src: string, line = 1): Diagnostic {
  const { expr, diagnostics } = parseExpression(src, { file: 'main.tf', line });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) return errors[0]!;
  try {
    expr.evaluate(scope);
  } catch (e) {
    if (e instanceof DiagnosticError) return e.diagnostics[0]!;
    throw e;
  }
  throw new Error(`${src} did not fail`);
}

const doc = readFileSync(
  fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url)),
  'utf8',
);

describe('unknown arguments', () => {
  it.each([
    'upper(var.u)',
    'jsonencode({ a = var.u })',
    'sha256(var.u)',
    'cidrsubnet(var.u, 4, 1)',
    'join(",", ["a", var.u])',
    'distinct(["a", var.u])',
    'try(var.u, 1)',
    'can(var.u)',
    'format("%s", var.u)',
    'lookup(var.u, "a", "b")',
    'yamlencode({ a = [var.u] })',
    'yamldecode(var.u)',
  ])('%s is unknown', (src) => {
    expect(isUnknown(run(src))).toBe(true);
  });

  it('functions that only move values keep an unknown, with its key facts, where it is', () => {
    expect(run('lookup({ k = cmek_kms_key.k.arn }, "k")')).toBe(key);
    expect(run('merge({ a = 1 }, { k = cmek_kms_key.k.arn })')).toEqual({ a: 1, k: key });
    expect(run('element(concat(["x"], [cmek_kms_key.k.arn]), 1)')).toBe(key);
    expect(run('one([cmek_kms_key.k.arn])')).toBe(key);
    expect(run('values({ k = cmek_kms_key.k.arn })')).toEqual([key]);
  });

  it('length of a list with unknown elements is known', () => {
    expect(run('length([var.u, 1])')).toBe(2);
    expect(isUnknown(run('length(var.u)'))).toBe(true);
  });
});

describe('null and sensitive arguments', () => {
  it('null is an invalid argument unless the function takes it', () => {
    const d = failure('upper(var.n)');
    expect(d).toMatchObject({ code: 'CONFIG_FUNCTION', summary: 'Invalid function argument' });
    expect(d.detail).toMatch(/"str" parameter of upper\(\): argument must not be null/);
    expect(run('merge(var.n, { a = 1 })')).toEqual({ a: 1 });
    expect(run('coalesce(var.n, "x")')).toBe('x');
    expect(run('tostring(var.n)')).toBe(null);
  });

  it('a sensitive argument marks the result; issensitive and nonsensitive see the mark', () => {
    const v = run('upper(var.s)');
    expect(v).toBeInstanceOf(Sensitive);
    expect((v as Sensitive).value).toBe('SECRET');
    expect(run('sha256(var.s)')).toBeInstanceOf(Sensitive);
    expect(run('issensitive(var.s)')).toBe(true);
    expect(run('issensitive("x")')).toBe(false);
    expect(run('nonsensitive(upper(var.s))')).toBe('SECRET');
    expect(run('length([var.s, "b"])')).toBeInstanceOf(Sensitive);
    expect(run('yamlencode({ a = var.s })')).toEqual(new Sensitive('"a": "secret"\n'));
    expect(run('yamlencode(var.n)')).toBe('null\n...\n');
    expect(run('yamldecode(sensitive("a: [1]"))')).toEqual(new Sensitive({ a: [1] }));
  });
});

describe('errors', () => {
  it('name the line of the call inside a multi-line expression', () => {
    const d = failure('{\n  a = 1\n  b = cidrsubnet("10.0.0.0/30", 4, 1)\n}', 20);
    expect(d).toMatchObject({ code: 'CONFIG_FUNCTION', file: 'main.tf', line: 22 });
    expect(d.detail).toMatch(/insufficient address space to extend prefix of 30 by 4/);
  });

  it.each([
    ['upper()', 'Not enough function arguments', /expects 1 argument\(s\): upper\(str\)/],
    ['upper("a", "b")', 'Too many function arguments', /upper\(str\)/],
    ['regex("x", "abc")', 'Error in function call', /did not match/],
    ['element([], 0)', 'Error in function call', /empty list/],
    ['try(tonumber("x"), lookup({}, "k"))', 'Error in function call', /no expression succeeded/],
    ['file("files/missing.txt")', 'Invalid function argument', /no file exists/],
  ])('%s: %s', (src, summary, detail) => {
    const d = failure(src, 7);
    expect(d).toMatchObject({ code: 'CONFIG_FUNCTION', summary, line: 7 });
    expect(d.detail).toMatch(detail);
  });

  it('a function cmek does not implement is CONFIG_UNSUPPORTED at load, saying why', () => {
    const d = failure('bcrypt("a")', 3);
    expect(d).toMatchObject({ code: 'CONFIG_UNSUPPORTED', line: 3 });
    expect(d.detail).toMatch(/random/);
    expect(failure('nosuch(1)').detail).toMatch(/no built-in function/);
  });
});

describe('functions the differential test cannot record', () => {
  it('timestamp() and plantimestamp() are the current time in RFC 3339 UTC', () => {
    for (const f of ['timestamp()', 'plantimestamp()']) {
      const t = run(f) as string;
      expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(Math.abs(Date.parse(t) - Date.now())).toBeLessThan(5_000);
    }
  });

  it('uuid() is a fresh version-4 UUID each time', () => {
    const a = run('uuid()') as string;
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(run('uuid()')).not.toBe(a);
  });

  it('templatefile renders nested attributes of its variables, relative to the module', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmek-tpl-'));
    writeFileSync(join(dir, 'p.tftpl'), '{"key": "${key.arn}", "n": ${n + 1}}');
    const { expr } = parseExpression('templatefile("p.tftpl", { key = { arn = "a" }, n = 1 })', {
      file: 'main.tf',
      line: 1,
    });
    expect(expr.evaluate(mapScope(dir, {}))).toBe('{"key": "a", "n": 2}');
  });

  it('jsonencode writes numbers as terraform does, never in exponent form', () => {
    expect(terraformJson({ b: 1e30, a: 2e-10 })).toBe(
      '{"a":0.0000000002,"b":1000000000000000000000000000000}',
    );
  });
});

describe('templatestring', () => {
  const tscope = mapScope(FIXTURE_DIR, {
    'local.t': 'Hi ${name}%{ for x in xs }, ${x}%{ endfor }',
    'local.s': new Sensitive('secret ${name}'),
    'local.f': '${file("files/simple.tftpl")}',
    'var.u': UNKNOWN,
  });
  const ts = (src: string): Value => {
    const { expr } = parseExpression(src, { file: 'main.tf', line: 3 });
    return expr.evaluate(tscope);
  };
  const tsFailure = (src: string): Diagnostic => {
    try {
      ts(src);
    } catch (e) {
      if (e instanceof DiagnosticError) return e.diagnostics[0]!;
      throw e;
    }
    throw new Error(`${src} did not fail`);
  };

  it('renders a template given by reference, with directives', () => {
    expect(ts('templatestring(local.t, { name = "bo", xs = ["a", "b"] })')).toBe('Hi bo, a, b');
  });

  it('a sensitive template or variable makes the result sensitive; unknowns give unknown', () => {
    expect(ts('templatestring(local.s, { name = "x" })')).toBeInstanceOf(Sensitive);
    expect(ts('templatestring(local.t, { name = sensitive("x"), xs = [] })')).toBeInstanceOf(
      Sensitive,
    );
    expect(isUnknown(ts('templatestring(var.u, {})'))).toBe(true);
    expect(isUnknown(ts('templatestring(local.t, { name = var.u, xs = [] })'))).toBe(true);
  });

  it.each([
    ['templatestring("Hi $${name}", {})', 'does not support providing a literal template'],
    ['templatestring("${local.t}", {})', 'write the reference expression directly'],
    ['templatestring("a ${local.t}", {})', 'consider using a plain template string expression'],
    ['templatestring(upper(local.t), {})', 'must be a direct reference to a single string'],
    ['templatestring(local.f, {})', 'cannot use filesystem access functions like file'],
    ['templatestring(local.t, { "1a" = 1, name = "x", xs = [] })', 'invalid template variable'],
    ['templatestring(local.t, { name = "x" })', 'xs'],
  ])('%s is refused as terraform refuses it', (src, message) => {
    const d = tsFailure(src);
    expect(d.code).toBe('CONFIG_FUNCTION');
    expect(`${d.summary}: ${d.detail}`).toContain(message);
    expect(d.line).toBe(3);
  });
});

describe('rsadecrypt', () => {
  // A throwaway key made for the differential corpus, and "hello cmek" encrypted with it.
  const ct =
    'WrM3XFDjVHE5TNWcFVZTdgqRuDcgNLaQotmhO5XCVhIPnUInfH/T9ZfiU8VpQvrzSFGizF2ZkQ2z+96B1loBPXz8TA7JX2mkTkqy7OiZd6E+sbdPZIJ6UyRMojRj5G5YKGJkE7EhjYUeXULd/2t+NRQPdsSgXj5PgvdEOxZC5yg=';
  const pem = readFileSync(join(FIXTURE_DIR, 'files/rsa-test-key.pem'), 'utf8');
  const keyScope = mapScope(FIXTURE_DIR, { 'var.key': new Sensitive(pem), 'var.plain': pem });
  const dec = (src: string): Value =>
    parseExpression(src, { file: 'main.tf', line: 2 }).expr.evaluate(keyScope);

  it('decrypts; the result is sensitive exactly when an argument is, as in terraform', () => {
    expect(dec(`rsadecrypt("${ct}", var.plain)`)).toBe('hello cmek');
    expect(dec(`rsadecrypt("${ct}", var.key)`)).toEqual(new Sensitive('hello cmek'));
  });

  it('a failure never shows the key', () => {
    for (const src of [
      `rsadecrypt("aGVsbG8=", var.plain)`,
      `rsadecrypt("${ct}", file("files/ec-test-key.pem"))`,
      `rsadecrypt("${ct}", replace(var.plain, "A", "B"))`,
    ]) {
      let d: Diagnostic | undefined;
      try {
        dec(src);
      } catch (e) {
        if (e instanceof DiagnosticError) d = e.diagnostics[0];
      }
      expect(d?.code, src).toBe('CONFIG_FUNCTION');
      expect(JSON.stringify(d)).not.toMatch(/PRIVATE KEY|MII/);
    }
  });
});

describe('a configuration using functions loads and evaluates (loadConfig)', () => {
  it('locals and resource attributes call functions; a failing call names file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmek-fn-'));
    writeFileSync(join(dir, 'names.txt'), 'orders\nbilling\n');
    writeFileSync(
      join(dir, 'main.tf'),
      [
        'locals {',
        '  names  = compact(split("\\n", file("names.txt")))',
        '  subnet = cidrsubnet("10.0.0.0/16", 8, length(local.names))',
        '}',
        'resource "cmek_kms_key" "k" {',
        '  region      = "eu-west-1"',
        '  description = format("%s in %s", join("+", local.names), local.subnet)',
        '}',
        'resource "cmek_kms_key" "bad" {',
        '  region      = "eu-west-1"',
        '  description = cidrhost("10.0.0.0/30", 9)',
        '}',
      ].join('\n'),
    );
    const { config, diagnostics } = await loadConfig(dir);
    expect(diagnostics).toEqual([]);
    const names = config.locals.find((l) => l.name === 'names')!.value.evaluate(mapScope(dir, {}));
    expect(names).toEqual(['orders', 'billing']);
    const subnet = config.locals
      .find((l) => l.name === 'subnet')!
      .value.evaluate(mapScope(dir, { 'local.names': names }));
    expect(subnet).toBe('10.0.2.0/24');
    const s2 = mapScope(dir, { 'local.names': names, 'local.subnet': subnet });
    expect(config.resources[0]!.attributes.description!.evaluate(s2)).toBe(
      'orders+billing in 10.0.2.0/24',
    );
    try {
      config.resources[1]!.attributes.description!.evaluate(s2);
      throw new Error('expected an error');
    } catch (e) {
      expect((e as DiagnosticError).diagnostics[0]).toMatchObject({
        code: 'CONFIG_FUNCTION',
        file: 'main.tf',
        line: 11,
      });
    }
  });
});

describe('docs/configuration.md', () => {
  it('the function list is generated from the library (run npm run docs:gen when this fails)', () => {
    expect(renderFunctionSection(doc)).toBe(doc);
    for (const name of FUNCTION_NAMES) expect(doc).toContain(`| \`${name}(`);
  });

  it('every example gives the documented result', () => {
    const section = doc.split('Examples (a test evaluates each):')[1]!.split('\n\n')[1]!;
    const rows = [...section.matchAll(/^\| `(.+?)` \| `(.+?)` \|$/gm)];
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const [, src, result] of rows) expect(terraformJson(run(src!)), src).toBe(result);
  });

  it('every function is in the differential corpus, but those whose result changes by itself', () => {
    const corpus = readCorpus().join('\n');
    const unrecordable = new Set(['timestamp', 'plantimestamp', 'uuid', 'sensitive']);
    for (const name of FUNCTION_NAMES)
      if (!unrecordable.has(name)) expect(corpus, name).toMatch(new RegExp(`\\b${name}\\(`));
  });
});
