// Table tests of the expression evaluator: every operator, every function, unknown
// propagation, and errors with codes and positions.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiagnosticError } from '../../../src/model/diagnostics.js';
import {
  literalExpr,
  mapScope,
  parseExpression,
  parseTemplate,
} from '../../../src/engine/config/index.js';
import { isUnknown, Unknown, UNKNOWN, type Value } from '../../../src/model/values.js';
import { formatReference } from '../../../src/model/reference.js';

const baseDir = mkdtempSync(join(tmpdir(), 'cmek-eval-'));
writeFileSync(join(baseDir, 'policy.json'), '{"Version":"2012-10-17"}\n');
writeFileSync(join(baseDir, 'binary.bin'), Buffer.from([0xff, 0xfe, 0x00]));

const keyUnknown = new Unknown({ address: 'cmek_kms_key.k', region: 'eu-west-1', provider: 'aws' });
const table: Record<string, Value> = {
  'var.n': 7,
  'var.s': 'abc',
  'var.num_str': '5',
  'var.t': true,
  'var.list': ['a', 'b', 'c'],
  'var.map': { eu: 'eu-west-1', us: 'us-east-1' },
  'var.nothing': null,
  'local.obj': { a: 1, b: { c: 'deep' } },
  'cmek_kms_key.k': { arn: keyUnknown, id: UNKNOWN, region: 'eu-west-1' },
  'cmek_encrypted_service.db': [{ id: 'svc-0' }, { id: 'svc-1' }],
  'count.index': 1,
  'var.u': UNKNOWN,
};
const scope = mapScope(baseDir, table);
const pos = { file: 'main.tf', line: 10 };

function expr(src: string): Value {
  const { expr, diagnostics } = parseExpression(src, pos);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return expr.evaluate(scope);
}

function errorOf(
  src: string,
  template = false,
): { code: string; line?: number; summary: string; detail: string } {
  const parsed = template ? parseTemplate(src, pos) : parseExpression(src, pos);
  try {
    parsed.expr.evaluate(scope);
  } catch (e) {
    expect(e).toBeInstanceOf(DiagnosticError);
    const d = (e as DiagnosticError).diagnostics[0]!;
    expect(d.file).toBe('main.tf');
    return { code: d.code, line: d.line, summary: d.summary, detail: d.detail };
  }
  throw new Error(`expected ${src} to fail`);
}

describe('operators', () => {
  it.each<[string, Value]>([
    ['1 + 2', 3],
    ['10 - 4', 6],
    ['3 * 4', 12],
    ['7 / 2', 3.5],
    ['7 % 3', 1],
    ['-var.n', -7],
    ['2 + 3 * 4', 14],
    ['(2 + 3) * 4', 20],
    ['var.num_str + 1', 6],
    ['1 == 1', true],
    ['1 == "1"', false],
    ['"a" != "b"', true],
    ['[1, {a = 2}] == [1, {a = 2}]', true],
    ['{a = 1} == {a = 2}', false],
    ['1 < 2', true],
    ['2 > 3', false],
    ['2 <= 2', true],
    ['3 >= 4', false],
    ['true && false', false],
    ['true || false', true],
    ['!var.t', false],
    ['!true || false && true', false],
    ['var.n > 5 ? "big" : "small"', 'big'],
    ['var.n > 50 ? "big" : var.n > 5 ? "medium" : "small"', 'medium'],
    ['null', null],
    ['1.5e2', 150],
  ])('%s = %j', (src, want) => {
    expect(expr(src)).toEqual(want);
  });
});

describe('literals, references and traversal', () => {
  it.each<[string, Value]>([
    ['[1, "two", true, null]', [1, 'two', true, null]],
    ['{ a = 1, "b" = 2, c: 3 }', { a: 1, b: 2, c: 3 }],
    ['{\n  a = 1\n  b = [\n    2,\n  ]\n}', { a: 1, b: [2] }],
    ['{ (var.s) = 1, "${var.s}x" = 2 }', { abc: 1, abcx: 2 }],
    ['var.list[1]', 'b'],
    ['var.list.2', 'c'],
    ['var.map["eu"]', 'eu-west-1'],
    ['var.map.us', 'us-east-1'],
    ['local.obj.b.c', 'deep'],
    ['cmek_encrypted_service.db[count.index].id', 'svc-1'],
    ['"tab\\there \\"q\\" \\u00e9"', 'tab\there "q" é'],
    ['"${var.n}-${var.t}"', '7-true'],
    ['<<EOT\nhello ${var.s}\nEOT', 'hello abc\n'],
    ['<<-EOT\n    indented\n      more\n    EOT', 'indented\n  more\n'],
    ['"$${literal} %%{x}"', '${literal} %{x}'],
    ['"a ${~ "b" ~} c"', 'abc'],
    ['# comment\n1 /* inline */ + 1 // trailing', 2],
  ])('%s', (src, want) => {
    expect(expr(src)).toEqual(want);
  });

  it('templates from JSON syntax: a single interpolation keeps the type', () => {
    expect(parseTemplate('${var.n}', pos).expr.evaluate(scope)).toBe(7);
    expect(parseTemplate('${var.list}', pos).expr.evaluate(scope)).toEqual(['a', 'b', 'c']);
    expect(parseTemplate('n=${var.n}', pos).expr.evaluate(scope)).toBe('n=7');
    expect(parseTemplate('plain', pos).expr.evaluate(scope)).toBe('plain');
    expect(parseTemplate('', pos).expr.evaluate(scope)).toBe('');
  });

  it('refs lists every traversal root, deduplicated and sorted', () => {
    const { expr } = parseTemplate(
      '${cmek_kms_key.k.arn}-${var.n}-${local.obj.a}-${count.index}-${var.n}-${format("%s", cmek_encrypted_service.db[0].id)}',
      pos,
    );
    expect(expr.refs).toEqual([
      'cmek_encrypted_service.db',
      'cmek_kms_key.k',
      'count.index',
      'local.obj',
      'var.n',
    ]);
    expect(expr.pos).toEqual(pos);
  });

  it('an object key named __proto__ is an ordinary key, never a prototype', () => {
    const v = expr('merge({ "__proto__" = { polluted = true } }, { a = 1 })') as Record<
      string,
      Value
    >;
    expect(Object.keys(v)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(expr('jsonencode({ "__proto__" = 1 })')).toBe('{"__proto__":1}');
  });

  it('references are structured: resource, static instance key, attribute; refs keep the roots', () => {
    const { expr } = parseExpression(
      '[cmek_encrypted_service.db[0].id, cmek_kms_key.k[count.index].arn, var.list[var.n].x, local.obj["b"].c, jsondecode(var.s).a, var.map]',
      pos,
    );
    expect(expr.references).toEqual([
      {
        kind: 'resource',
        resource: { type: 'cmek_encrypted_service', name: 'db' },
        index: 0,
        attribute: 'id',
      },
      {
        kind: 'resource',
        resource: { type: 'cmek_kms_key', name: 'k' },
        index: 'count.index',
        attribute: 'arn',
      },
      { kind: 'count' },
      { kind: 'local', name: 'obj' },
      { kind: 'var', name: 'list' },
      { kind: 'var', name: 'map' },
      { kind: 'var', name: 'n' },
      { kind: 'var', name: 's' },
    ]);
    expect(expr.refs).toEqual([
      'cmek_encrypted_service.db',
      'cmek_kms_key.k',
      'count.index',
      'local.obj',
      'var.list',
      'var.map',
      'var.n',
      'var.s',
    ]);
  });

  it('instanceReferences evaluates count.index and computed instance keys in a scope', () => {
    const { expr } = parseExpression(
      '[cmek_kms_key.k[count.index].arn, cmek_kms_key.j[var.i + 1].arn, cmek_kms_key.all]',
      pos,
    );
    // Statically, a computed key is not known: the reference names the whole block.
    expect(expr.references.map(formatReference)).toEqual([
      'cmek_kms_key.all',
      'cmek_kms_key.j.arn',
      'cmek_kms_key.k[count.index].arn',
      'count.index',
      'var.i',
    ]);
    const scope = mapScope('/', { 'count.index': 2, 'var.i': 0 });
    expect(expr.instanceReferences(scope).map(formatReference)).toEqual([
      'cmek_kms_key.all',
      'cmek_kms_key.j[1].arn',
      'cmek_kms_key.k[2].arn',
      'count.index',
      'var.i',
    ]);
    // An index that is not a whole number (or fails) leaves the block reference.
    const bad = mapScope('/', { 'count.index': 0, 'var.i': 'x' });
    expect(expr.instanceReferences(bad).map(formatReference)[1]).toBe('cmek_kms_key.j.arn');
  });

  it('literalExpr evaluates to its value and reads nothing', () => {
    const e = literalExpr({ a: [1] }, pos);
    expect(e.evaluate(scope)).toEqual({ a: [1] });
    expect(e.refs).toEqual([]);
  });
});

describe('unknown propagation', () => {
  it('a plain reference passes the Unknown (and its KeyFacts) through untouched', () => {
    expect(expr('cmek_kms_key.k.arn')).toBe(keyUnknown);
    expect(parseTemplate('${cmek_kms_key.k.arn}', pos).expr.evaluate(scope)).toBe(keyUnknown);
    expect(expr('lookup({ k = cmek_kms_key.k.arn }, "k")')).toBe(keyUnknown);
    expect(expr('true ? cmek_kms_key.k.arn : "x"')).toBe(keyUnknown);
  });

  it('unknowns stay in place inside lists and objects', () => {
    const v = expr('{ key = cmek_kms_key.k.arn, list = [var.u] }') as Record<string, Value[]>;
    expect(v.key).toBe(keyUnknown);
    expect(isUnknown(v.list![0])).toBe(true);
  });

  it.each([
    'var.u + 1',
    '-var.u',
    '!var.u',
    'var.u == 1',
    '[var.u] == [1]',
    'var.u && true',
    'var.u ? 1 : 2',
    'var.u.attr',
    'var.u[0]',
    'var.list[var.u]',
    '"arn=${cmek_kms_key.k.arn}"',
    'jsonencode({ a = var.u })',
    'format("%s", var.u)',
    'merge(var.u, {})',
    'lookup(var.u, "a")',
    'jsondecode(var.u)',
    'file(var.u)',
    '{ (var.u) = 1 }',
  ])('%s is a fresh Unknown', (src) => {
    const v = expr(src);
    expect(isUnknown(v)).toBe(true);
    expect(v).not.toBe(keyUnknown);
  });
});

describe('functions', () => {
  it.each<[string, Value]>([
    ['jsonencode({ b = 1, a = ["x", true, null] })', '{"a":["x",true,null],"b":1}'],
    ['jsonencode("<&>")', '"\\u003c\\u0026\\u003e"'],
    ['jsondecode("{\\"a\\": [1, 2]}")', { a: [1, 2] }],
    ['jsondecode(file("policy.json")).Version', '2012-10-17'],
    ['file("policy.json")', '{"Version":"2012-10-17"}\n'],
    ['lookup(var.map, "eu")', 'eu-west-1'],
    ['lookup(var.map, "ap", "fallback")', 'fallback'],
    ['merge({ a = 1, b = 1 }, { b = 2 }, null, { c = 3 })', { a: 1, b: 2, c: 3 }],
    ['merge()', {}],
    ['format("%s-%d", "svc", 3)', 'svc-3'],
    ['format("%v|%v|%v", "s", 1.5, true)', 's|1.5|true'],
    ['format("%#v", { b = 1, a = "x" })', '{"a":"x","b":1}'],
    ['format("%q", "a\\"b")', '"a\\"b"'],
    ['format("%t", false)', 'false'],
    [
      'format("%05d|%-5d|%+d|%x|%X|%o|%b|%#x", 42, 42, 42, 255, 255, 8, 5, 255)',
      '00042|42   |+42|ff|FF|10|101|0xff',
    ],
    ['format("%.2f|%8.3f|%e", 3.14159, 2.5, 1234.5)', '3.14|   2.500|1.234500e+03'],
    ['format("%.3s|%5s|%-5s|", "abcdef", "ab", "ab")', 'abc|   ab|ab   |'],
    ['format("100%%")', '100%'],
    ['format("%g", 0.5)', '0.5'],
  ])('%s', (src, want) => {
    expect(expr(src)).toEqual(want);
  });
});

describe('errors carry code, file and line', () => {
  it.each<[string, string, number, RegExp]>([
    ['var.nope', 'CONFIG_REFERENCE', 10, /var\.n/],
    ['local.ob', 'CONFIG_REFERENCE', 10, /Did you mean "local\.obj"/],
    ['cmek_kms_key.kk.arn', 'CONFIG_REFERENCE', 10, /Did you mean "cmek_kms_key\.k"/],
    ['cmek_kms_key.k.ar', 'CONFIG_REFERENCE', 10, /Did you mean "arn"/],
    ['local.obj.zzz', 'CONFIG_REFERENCE', 10, /Declared attributes: a, b/],
    ['var.list[5]', 'CONFIG_REFERENCE', 10, /3 element/],
    ['cmek_encrypted_service.db.id', 'CONFIG_REFERENCE', 10, /index it first/],
    ['var.nothing.x', 'CONFIG_REFERENCE', 10, /null/],
    ['"a" + 1', 'CONFIG_SCHEMA', 10, /number is required/],
    ['1 / 0', 'CONFIG_SCHEMA', 10, /zero/],
    ['1 ? 2 : 3', 'CONFIG_SCHEMA', 10, /bool is required/],
    ['"x${var.list}"', 'CONFIG_SCHEMA', 10, /jsonencode/],
    ['"x${var.nothing}"', 'CONFIG_SCHEMA', 10, /null/],
    ['\n\n  var.missing', 'CONFIG_REFERENCE', 12, /var\./],
    ['{\n a = 1\n b = var.bad\n}', 'CONFIG_REFERENCE', 12, /var\./],
    // Function errors are CONFIG_FUNCTION with terraform's summaries (docs/cli/errors.md).
    ['lookup(var.map, "ap")', 'CONFIG_FUNCTION', 10, /failed to find key "ap"/],
    ['lookup(var.list, "a")', 'CONFIG_FUNCTION', 10, /"map" parameter of lookup\(\): map/],
    ['merge([1])', 'CONFIG_FUNCTION', 10, /maps or objects/],
    ['jsondecode("{")', 'CONFIG_FUNCTION', 10, /jsondecode/],
    ['jsonencode()', 'CONFIG_FUNCTION', 10, /Not enough function arguments .*expects 1/],
    ['file("missing.json")', 'CONFIG_FUNCTION', 10, /no file exists at "missing.json"/],
    ['file("binary.bin")', 'CONFIG_FUNCTION', 10, /UTF-8/],
    ['format("%d", "x")', 'CONFIG_FUNCTION', 10, /number/],
    ['format("%d %d", 1)', 'CONFIG_FUNCTION', 10, /not enough/],
    ['format("%d", 1, 2)', 'CONFIG_FUNCTION', 10, /too many/],
    ['format("%[3]d", 1)', 'CONFIG_FUNCTION', 10, /not enough/],
    ['format("%z", 1)', 'CONFIG_FUNCTION', 10, /unsupported format verb/],
  ])('%s → %s', (src, code, line, detail) => {
    const e = errorOf(src);
    expect(e.code).toBe(code);
    expect(e.line).toBe(line);
    expect(`${e.summary} ${e.detail}`).toMatch(detail);
  });
});

describe('scopes without candidates', () => {
  it('an undeclared root says how to fix it, not that nothing is declared', () => {
    const bare = { baseDir: '.', lookup: () => undefined };
    const { expr } = parseExpression('var.region', pos);
    try {
      expr.evaluate(bare);
      throw new Error('expected a CONFIG_REFERENCE');
    } catch (e) {
      const d = (e as DiagnosticError).diagnostics[0]!;
      expect(d.code).toBe('CONFIG_REFERENCE');
      expect(d.summary).toBe('Reference to undeclared variable "var.region"');
      expect(d.detail).toBe('Declare the variable, or check the spelling.');
    }
  });
});

describe('parse-time diagnostics', () => {
  it.each<[string, string, number, RegExp]>([
    ['bcrypt("x")', 'CONFIG_UNSUPPORTED', 10, /bcrypt\(\).*random/],
    ['[for x in var.list : x => x]', 'CONFIG_SYNTAX', 10, /not valid when building a tuple/],
    ['{ for k, v in var.map : v }', 'CONFIG_SYNTAX', 10, /required when building an object/],
    ['[for x in var.list : x...]', 'CONFIG_SYNTAX', 10, /grouping/],
    ['[for x var.list : x]', 'CONFIG_SYNTAX', 10, /expected "in"/],
    ['[for x in var.list : x\n\n', 'CONFIG_SYNTAX', 12, /expected "\]"/],
    ['var.list.*.a.*.b', 'CONFIG_SYNTAX', 10, /inside another attribute-only splat/],
    ['"a%{ if true }b"', 'CONFIG_SYNTAX', 10, /unterminated %\{if\}/],
    ['"a%{ endfor }"', 'CONFIG_SYNTAX', 10, /without its opening directive/],
    [
      '"%{ for x in var.l }%{ endif }"',
      'CONFIG_SYNTAX',
      10,
      /unexpected %\{endif\} inside %\{for\}/,
    ],
    ['"%{ while true }"', 'CONFIG_SYNTAX', 10, /invalid template directive/],
    ['each', 'CONFIG_REFERENCE', 10, /cannot be accessed directly/],
    ['each.index', 'CONFIG_REFERENCE', 10, /each.key, each.value/],
    ['path.home', 'CONFIG_REFERENCE', 10, /path.module, path.root, path.cwd/],
    ['max(var.list..., 1)', 'CONFIG_SYNTAX', 10, /immediately followed by "\)"/],
    ['data.aws_caller_identity', 'CONFIG_SYNTAX', 10, /data.TYPE.NAME/],
    ['bare', 'CONFIG_REFERENCE', 10, /must name a variable/],
    ['1 +', 'CONFIG_SYNTAX', 10, /expected an expression/],
    ['(1', 'CONFIG_SYNTAX', 10, /expected "\)"/],
    ['"unterminated', 'CONFIG_SYNTAX', 10, /unterminated/],
    ['1 2', 'CONFIG_SYNTAX', 10, /after the expression/],
    ['"\\q"', 'CONFIG_SYNTAX', 10, /escape/],
    ['{ a = 1,\n\n a = 2 }', 'CONFIG_SYNTAX', 12, /Duplicate object key "a"/],
  ])('%s → %s', (src, code, line, msg) => {
    const { diagnostics, expr } = parseExpression(src, pos);
    const d = diagnostics[0]!;
    expect(d.code).toBe(code);
    expect(d.file).toBe('main.tf');
    expect(d.line).toBe(line);
    expect(`${d.summary} ${d.detail}`).toMatch(msg);
    if (d.severity === 'error') expect(() => expr.evaluate(scope)).toThrow(DiagnosticError);
  });

  it('a duplicate object key is a warning; the last value wins as in Terraform', () => {
    const { diagnostics, expr } = parseExpression('{ a = 1, a = 2 }', pos);
    expect(diagnostics.map((d) => d.severity)).toEqual(['warning']);
    expect(expr.evaluate(scope)).toEqual({ a: 2 });
  });

  it('a for directive binds its names in its body only', () => {
    expect(parseTemplate('%{ for x in var.list }${x}%{ endfor }', pos).diagnostics).toEqual([]);
    const after = parseTemplate('%{ for x in var.list }${x}%{ endfor }${x}', pos).diagnostics;
    expect(after.map((d) => d.code)).toEqual(['CONFIG_REFERENCE']);
  });
});
