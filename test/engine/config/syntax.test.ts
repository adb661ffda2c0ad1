// The native HCL parser (src/engine/config/syntax.ts) on a corpus of tricky inputs, each with
// the tree it must yield (literal values as values, other expressions as "${source}", the way
// `plain` renders them), the ranges it must record, and the syntax errors it must report with
// line and column.
import { describe, expect, it } from 'vitest';
import { ParsedExpr } from '../../../src/engine/config/expr.js';
import { mapScope } from '../../../src/engine/config/expr.js';
import { plain } from '../../../src/engine/config/shape.js';
import { parseHclFile } from '../../../src/engine/config/syntax.js';

/** The tree with every attribute rendered by `plain` (literals as values). */
function render(x: unknown): unknown {
  if (x instanceof ParsedExpr) return plain(x);
  if (Array.isArray(x)) return x.map(render);
  if (x && typeof x === 'object')
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, render(v)]));
  return x;
}

function ok(text: string): Record<string, unknown> {
  const r = parseHclFile('main.tf', text);
  expect(r.diagnostics).toEqual([]);
  return r.doc;
}

const CORPUS: Array<[string, string, unknown]> = [
  [
    'attributes and a labelled block',
    'a = 1\nresource "t" "n" {\n  b = "x"\n}\n',
    {
      a: 1,
      resource: { t: { n: [{ b: 'x' }] } },
    },
  ],
  [
    'one-line blocks, empty blocks, identifier labels',
    'a { b = 1 }\nc {}\nd e f {\n}\n',
    {
      a: [{ b: 1 }],
      c: [{}],
      d: { e: { f: [{}] } },
    },
  ],
  ['repeated blocks append', 'x {\n  v = 1\n}\nx {\n  v = 2\n}\n', { x: [{ v: 1 }, { v: 2 }] }],
  [
    'comments of every kind in odd places',
    '# top\n// also\n/* block\n comment */ a = 1 # after\nb /* mid */ = /* in */ 2 // end\nr /* x */ "l" { # open\n  c = [ # list\n    1, // one\n    /* two */ 2,\n  ]\n} # close\n',
    { a: 1, b: 2, r: { l: [{ c: [1, 2] }] } },
  ],
  [
    'heredocs, plain and indented, with interpolation',
    'a = <<EOT\nline one\n  line two\nEOT\nb = <<-EOT\n    x\n      y\n    EOT\nc = <<EOT\nhi ${var.n}\nEOT\nd = 1\n',
    {
      a: 'line one\n  line two\n',
      b: 'x\n  y\n',
      c: '${<<EOT\nhi ${var.n}\nEOT}',
      d: 1,
    },
  ],
  [
    'nested templates stay one expression',
    'a = "x-${"y-${var.z}"}"\nb = 2\n',
    { a: '${"x-${"y-${var.z}"}"}', b: 2 },
  ],
  [
    'escapes in strings and labels',
    'a = "q\\"b\\\\s\\n\\t\\u00e9\\U0001F600"\nb = "$${lit} %%{lit}"\nblk "l\\"x" {\n}\n',
    { a: 'q"b\\s\n\té😀', b: '${lit} %{lit}', blk: { 'l"x': [{}] } },
  ],
  ['unicode text', 'name = "héllo ✓ 𝄞"\n', { name: 'héllo ✓ 𝄞' }],
  ['CRLF line endings', 'a = 1\r\nb {\r\n  c = "x"\r\n}\r\n', { a: 1, b: [{ c: 'x' }] }],
  [
    'newlines inside brackets do not end a value',
    'a = [\n  1,\n  2,\n]\nb = (\n  1 +\n  2\n)\nc = {\n  k = 1\n  l = 2\n}\nd = f(\n  1,\n  2)\n',
    {
      a: [1, 2],
      b: '${(\n  1 +\n  2\n)}',
      c: { k: 1, l: 2 },
      d: '${f(\n  1,\n  2)}',
    },
  ],
  ['a file without a final newline', 'a = 1', { a: 1 }],
  ['an empty file', '', {}],
];

describe('native HCL parser: corpus', () => {
  for (const [name, text, want] of CORPUS)
    it(name, () => {
      expect(render(ok(text))).toEqual(want);
    });

  it('literal values evaluate as terraform reads them', () => {
    const doc = ok(
      'n = -1.5e2\nt = true\nz = null\nl = [1, "a", [false]]\no = { "k" = 1, j = 2 }\n',
    );
    const scope = mapScope('.', {});
    const values = Object.fromEntries(
      Object.entries(doc).map(([k, v]) => [k, (v as ParsedExpr).evaluate(scope)]),
    );
    expect(values).toEqual({ n: -150, t: true, z: null, l: [1, 'a', [false]], o: { k: 1, j: 2 } });
  });
});

describe('native HCL parser: ranges', () => {
  it('every expression knows its range; nested nodes have their own', () => {
    const doc = ok('resource "t" "n" {\n  region = var.région\n  n      = 1 + cmek_x.y.z\n}\n');
    const body = (doc.resource as Record<string, Record<string, unknown[]>>).t!.n![0] as Record<
      string,
      ParsedExpr
    >;
    // `var.région`: columns count UTF-16 code units from 1; the end is exclusive.
    expect(body.region!.pos).toEqual({
      file: 'main.tf',
      line: 2,
      column: 12,
      endLine: 2,
      endColumn: 22,
    });
    const n = body.n!.node;
    expect(n).toMatchObject({ k: 'binary', line: 3, col: 12, endLine: 3, endCol: 26 });
    if (n.k !== 'binary') throw new Error('not binary');
    expect(n.r).toMatchObject({ k: 'attr', col: 16, endCol: 26 });
    expect(body.n!.placeOfRef('cmek_x.y')).toEqual({
      line: 3,
      column: 16,
      endLine: 3,
      endColumn: 24,
    });
  });

  it('the index gives blocks and attributes their lines and ranges, repeated blocks each', () => {
    const r = parseHclFile('main.tf', 'a = 1\n\nx "l" {\n  v = 2\n}\nx "l" {\n}\n');
    expect(r.index.lineOf(['a'])).toBe(1);
    expect(r.index.rangeOf?.(['x', 'l', 'v'])).toEqual({
      line: 4,
      column: 3,
      endLine: 4,
      endColumn: 8,
    });
    expect(r.index.blockLines(['x', 'l'])).toEqual([3, 6]);
    expect(r.index.blockRanges?.(['x', 'l'])[1]).toEqual({
      line: 6,
      column: 1,
      endLine: 6,
      endColumn: 6,
    });
    expect(r.index.isBlock(['x', 'l'])).toBe(true);
    expect(r.index.isBlock(['a'])).toBe(false);
  });

  it('lines inside heredocs and CRLF files are the file lines', () => {
    const doc = ok('a = <<EOT\none\n${var.x}\nEOT\nb = 1\r\nc = var.y\r\n');
    const a = (doc.a as ParsedExpr).node;
    if (a.k !== 'tmpl') throw new Error(`not a template: ${a.k}`);
    expect(a.parts[1]).toMatchObject({ k: 'ref', line: 3, col: 3 });
    expect((doc.c as ParsedExpr).pos).toMatchObject({ line: 6, column: 5, endColumn: 10 });
  });
});

describe('native HCL parser: errors', () => {
  const first = (text: string) => {
    const r = parseHclFile('main.tf', text);
    expect(r.diagnostics.length).toBeGreaterThan(0);
    const d = r.diagnostics[0]!;
    return [d.code, d.summary, d.line, d.column];
  };

  it('two arguments on one line', () => {
    expect(first('a = 1 b = 2\n')).toEqual([
      'CONFIG_SYNTAX',
      'Missing newline after argument definition',
      1,
      7,
    ]);
  });

  it('a value continued on the next line outside brackets', () => {
    expect(first('a = 1\n  + 2\n')).toEqual([
      'CONFIG_SYNTAX',
      'Argument or block definition required',
      2,
      3,
    ]);
  });

  it('a duplicate argument names the first one', () => {
    const r = parseHclFile('main.tf', 'x {\n  a = 1\n  a = 2\n}\n');
    expect(r.diagnostics).toMatchObject([
      {
        code: 'CONFIG_SYNTAX',
        summary: 'Duplicate argument "a"',
        line: 3,
        column: 3,
        endColumn: 4,
      },
    ]);
    expect(r.diagnostics[0]!.detail).toContain('main.tf:2');
  });

  it('an unclosed block points at its brace', () => {
    expect(first('a {\n  b = 1\n')).toEqual(['CONFIG_SYNTAX', 'Unclosed block', 1, 3]);
  });

  it('a stray closing brace', () => {
    expect(first('a = 1\n}\n')).toEqual(['CONFIG_SYNTAX', 'Unexpected "}"', 2, 1]);
  });

  it('an unterminated string, a bad escape, an unterminated heredoc and comment', () => {
    expect(first('a = "abc\n')).toEqual(['CONFIG_SYNTAX', 'Invalid multi-line string', 1, 9]);
    expect(first('\na = "\\q"\n')[1]).toMatch(/^Invalid expression: invalid escape/);
    expect(first('a = <<EOT\nnever closed\n')).toEqual([
      'CONFIG_SYNTAX',
      'Invalid expression: heredoc not terminated by "EOT"',
      1,
      5,
    ]);
    expect(first('/* open\na = 1\n')).toEqual([
      'CONFIG_SYNTAX',
      'Unterminated block comment',
      1,
      1,
    ]);
  });

  it('a template in a block label, and a block without a brace', () => {
    expect(first('r "${x}" {\n}\n')).toEqual(['CONFIG_SYNTAX', 'Invalid block label', 1, 4]);
    expect(first('r "a" "b"\n')).toEqual([
      'CONFIG_SYNTAX',
      'Invalid argument or block definition',
      1,
      10,
    ]);
  });

  it('an argument and a block of the same name', () => {
    expect(first('a = 1\na {\n}\n')[1]).toBe('Block "a" has the name of an argument');
  });
});

describe('native HCL parser: recovery after a syntax error', () => {
  const all = (text: string) =>
    parseHclFile('main.tf', text).diagnostics.map((d) => [
      d.summary.split(':')[0],
      d.line,
      d.column,
      d.endLine,
      d.endColumn,
    ]);

  it('reports one error per broken top-level item, each with its range', () => {
    const text = [
      'resource "a" "one" {', // 1
      '  x = = 1', // 2: invalid expression
      '  y = 2', // 3
      '}', // 4
      '', // 5
      '!!! garbage', // 6: not an argument or a block
      '', // 7
      'resource "a" "two" {', // 8
      '  z = 1 w = 2', // 9: two arguments on one line
      '}', // 10
      'resource "a" "fine" {', // 11
      '  v = 3', // 12
      '}', // 13
      'variable "v" "x"', // 14: no brace
      '',
    ].join('\n');
    expect(all(text)).toEqual([
      ['Invalid expression', 2, 7, 2, 8],
      ['Argument or block definition required', 6, 1, 6, 2],
      ['Missing newline after argument definition', 9, 9, 9, 10],
      ['Invalid argument or block definition', 14, 17, 14, 18],
    ]);
  });

  it('in a block, each broken item is an error and the block goes on', () => {
    const text = [
      'resource "a" "b" {', // 1
      '  x = = 1', // 2
      '  y = 2', // 3
      '  lifecycle {', // 4
      '    z = ]', // 5
      '    w = [', // 6: unclosed list: the error is at the next item's line
      '    v = 1', // 7
      '  }', // 8
      '  u = "a" "b"', // 9: missing newline
      '}', // 10
      'c = = 3', // 11
      '',
    ].join('\n');
    const r = parseHclFile('main.tf', text);
    expect(r.diagnostics.map((d) => [d.summary.split(':')[0], d.line])).toEqual([
      ['Invalid expression', 2],
      ['Invalid expression', 5],
      ['Invalid expression', 7],
      ['Missing newline after argument definition', 9],
      ['Invalid expression', 11],
    ]);
    // The items around the errors are read.
    const body = (r.doc.resource as Record<string, Record<string, unknown[]>>).a!.b![0] as Record<
      string,
      unknown
    >;
    expect(Object.keys(body)).toEqual(['y', 'lifecycle', 'u']);
  });

  it('in a one-line or unindented block the file level recovers', () => {
    expect(all('a { b = = 1 }\nc = = 2\n').map((x) => x[1])).toEqual([1, 2]);
    expect(all('r {\nx = = 1\ny = = 2\n}\nz = = 3\n').map((x) => x[1])).toEqual([2, 3, 5]);
  });

  it('the items after an error are still read (a later duplicate is found)', () => {
    const r = parseHclFile('main.tf', 'a = = 1\nb = 1\nb = 2\n');
    expect(r.diagnostics.map((d) => [d.summary.split(':')[0], d.line])).toEqual([
      ['Invalid expression', 1],
      ['Duplicate argument "b"', 3],
    ]);
  });

  it('an unclosed block is one error, not one per line after it', () => {
    expect(all('a {\n  b = 1\nc = 2\n')).toEqual([['Unclosed block', 1, 3, 1, 4]]);
  });

  it('a heredoc body line that looks like an argument is not a recovery point', () => {
    // The error is on line 2; the heredoc of line 3 is skipped whole (its body line "x = ]" is
    // text), the block closes on line 6 and the next error is on line 8.
    const text = 'r "a" "b" {\n  a = ]\n  b = <<EOT\nx = ]\nEOT\n}\nc = 1\nd = ]\n';
    expect(all(text).map((x) => x[1])).toEqual([2, 8]);
    // A heredoc opened on the broken line itself is skipped too.
    const text2 = 'a = ] + <<EOT\nx = ]\nEOT\nd = ]\n';
    expect(all(text2).map((x) => x[1])).toEqual([1, 4]);
  });

  it('a valid file is unchanged by recovery and a garbage file ends', () => {
    expect(all('a = 1\nb {\n  c = 2\n}\n')).toEqual([]);
    const garbage = '{{{{\n}}}}\n"x" = 1\n'.repeat(50);
    const d = all(garbage);
    expect(d.length).toBeGreaterThan(0);
    expect(d.length).toBeLessThanOrEqual(150);
  });
});
