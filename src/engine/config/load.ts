// The configuration loader (docs/configuration.md): *.tf through the native parser (syntax.ts), *.tf.json (Terraform JSON
// syntax, which also covers cdktf's cdk.tf.json), into the Config model of types.ts. It parses
// every expression up front and reports every problem it finds as a diagnostic with file and
// line; nothing unsupported is ignored.

import { parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { parseResourceAddress } from '../../model/address.js';
import { diag, type Diagnostic, type DiagnosticCode } from '../../model/diagnostics.js';
import type { Value } from '../../model/values.js';
import { BACKEND_SETTINGS } from '../backend/types.js';
import { bindNames, type Node } from './ast.js';
import { setKey } from './evaluate.js';
import { jsonToNode, mapScope, parseExpression, ParsedExpr } from './expr.js';
import { indexJson, type SourceIndex } from './scan.js';
import {
  bareTraversal,
  entries,
  exprText,
  isObj,
  labelled,
  objs,
  plain,
  stripComments,
  type Obj,
} from './shape.js';
import { configFiles, loadModuleCalls, remoteModuleSource } from './modules.js';
import { readRefactorBlock } from './refactor.js';
import { parseHclFile } from './syntax.js';
import { suggestion } from './suggest.js';
import type {
  CheckBlock,
  Condition,
  Config,
  DataBlock,
  Expr,
  Lifecycle,
  LoadResult,
  ModuleCall,
  OutputBlock,
  ResourceBlock,
  SourcePos,
  VariableBlock,
} from './types.js';

export interface LoadOptions {
  /** Load only these files (relative to dir) instead of every *.tf and *.tf.json in dir. */
  files?: string[];
  /** Severity of CONFIG_UNSUPPORTED diagnostics. Default 'error' (docs/configuration.md). Policy checks that
   * read foreign configurations (modules, data sources, other providers) pass 'warning'. */
  unsupportedSeverity?: 'error' | 'warning';
  /** Internal (MODULES): the absolute directories of the modules calling this one, outermost
   * first, so a loop of module calls is reported instead of followed. */
  moduleStack?: string[];
  /** Internal (MODULES): set when loading a child module: its directory relative to the root
   * module's (its files are named relative to the root module's directory). */
  moduleDir?: string;
}

const DEFAULT_LIFECYCLE = (): Lifecycle => ({
  preventDestroy: false,
  createBeforeDestroy: false,
  ignoreChanges: [],
});

const SUPPORTED_TOP =
  'Supported top-level blocks: terraform, provider "cmek", variable, locals, resource, data, output, check, import, moved, removed.';

/** Top-level blocks cmek knows but does not implement: [label count, what, remedy]. */
const UNSUPPORTED_TOP: Record<string, [number, string, string]> = {
  ephemeral: [2, 'An `ephemeral` resource', SUPPORTED_TOP],
};

class Loader {
  readonly diagnostics: Diagnostic[] = [];
  readonly config: Config;
  private file = '';
  private index!: SourceIndex;
  private isHcl = false;
  private readonly resourcePos = new Map<string, SourcePos>();
  private readonly varPos = new Map<string, SourcePos>();
  private readonly outputPos = new Map<string, SourcePos>();
  private readonly localPos = new Map<string, SourcePos>();
  private readonly dataPos = new Map<string, SourcePos>();
  private readonly checkPos = new Map<string, SourcePos>();
  private backendPos: SourcePos | undefined;
  /** Where each depends_on list was written, for its CONFIG_REFERENCE diagnostics. */
  private readonly dependsOnPos = new Map<string, SourcePos>();

  constructor(
    dir: string,
    private readonly severity: 'error' | 'warning',
  ) {
    this.config = {
      dir,
      files: [],
      resources: [],
      variables: [],
      locals: [],
      outputs: [],
      backend: { type: 'local', path: 'terraform.tfstate' },
    };
  }

  /** How many blocks of each header path this file has shown so far, to give repeated
   * blocks (two `provider "aws"`, a duplicated resource) their own lines. */
  private seenBlocks = new Map<string, number>();

  private blockPos(path: string[]): SourcePos {
    const k = path.join('\u0000');
    const n = this.seenBlocks.get(k) ?? 0;
    this.seenBlocks.set(k, n + 1);
    const range = this.index.blockRanges?.(path)[n];
    if (range) return { file: this.file, ...range };
    return {
      file: this.file,
      line: this.index.blockLines(path)[n] ?? this.index.lineOf(path) ?? 1,
    };
  }

  /** Where a path is written: its line, and its range when the parser knows it. */
  private pos(path: string[]): SourcePos {
    const range = this.index.rangeOf?.(path);
    if (range) return { file: this.file, ...range };
    return { file: this.file, line: this.index.lineOf(path) ?? 1 };
  }

  /** The place of a diagnostic about `path`; a `line` in `extra` (a block's own line) replaces
   * the path's whole range, so line and column never come from two places. */
  private at(path: string[], extra: Partial<Diagnostic>): Partial<Diagnostic> {
    const pos =
      extra.line !== undefined && extra.column === undefined ? { file: this.file } : this.pos(path);
    return { ...pos, ...extra };
  }

  private report(
    code: DiagnosticCode,
    summary: string,
    detail: string,
    path: string[],
    extra: Partial<Diagnostic> = {},
  ): void {
    this.diagnostics.push(diag(code, summary, detail, this.at(path, extra)));
  }

  private unsupported(
    what: string,
    remedy: string,
    path: string[],
    extra: Partial<Diagnostic> = {},
  ): void {
    this.diagnostics.push({
      ...diag('CONFIG_UNSUPPORTED', `${what} is not supported`, remedy, this.at(path, extra)),
      severity: this.severity,
    });
  }

  /** Parse-time diagnostics of an expression, with CONFIG_UNSUPPORTED at the chosen severity. */
  private take(diags: readonly Diagnostic[], where: Partial<Diagnostic> = {}): void {
    for (const d of diags) {
      const located = { ...where, ...d };
      this.diagnostics.push(
        d.code === 'CONFIG_UNSUPPORTED' ? { ...located, severity: this.severity } : located,
      );
    }
  }

  async loadFile(dir: string, file: string): Promise<void> {
    this.file = file;
    this.seenBlocks = new Map();
    // A UTF-8 byte order mark (some Windows editors write one) is not part of the syntax.
    const text = (await readFile(resolve(dir, file), 'utf8')).replace(/^\uFEFF/, '');
    let doc: unknown;
    if (file.endsWith('.tf.json')) {
      const errors: ParseError[] = [];
      const tree = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
      this.index = indexJson(tree, text, file);
      this.diagnostics.push(...this.index.warnings);
      this.isHcl = false;
      if (errors.length) {
        for (const e of errors.slice(0, 5)) {
          const line = text.slice(0, e.offset).split('\n').length;
          this.diagnostics.push(
            diag(
              'CONFIG_SYNTAX',
              `Invalid JSON: ${printParseErrorCode(e.error)}`,
              'Fix the JSON syntax; Terraform JSON files must be plain JSON.',
              { file, line },
            ),
          );
        }
        return;
      }
      doc = JSON.parse(text);
      if (!isObj(doc)) {
        this.diagnostics.push(
          diag(
            'CONFIG_SYNTAX',
            'A .tf.json file must hold a JSON object',
            'The top level of Terraform JSON syntax is an object of block types.',
            { file, line: 1 },
          ),
        );
        return;
      }
    } else {
      this.isHcl = true;
      const parsed = parseHclFile(file, text);
      if (parsed.diagnostics.length) {
        this.diagnostics.push(...parsed.diagnostics);
        return;
      }
      this.index = parsed.index;
      this.diagnostics.push(...this.index.warnings);
      this.loadDocument(parsed.doc);
      return;
    }
    this.loadDocument(stripComments(doc) as Obj);
  }

  private loadDocument(doc: Obj): void {
    for (const [kind, v] of entries(doc)) {
      switch (kind) {
        case 'resource':
          for (const [[type, name], body] of labelled(v, 2)) this.resource(type!, name!, body);
          break;
        case 'variable':
          for (const [[name], body] of labelled(v, 1)) this.variable(name!, body);
          break;
        case 'output':
          for (const [[name], body] of labelled(v, 1)) this.output(name!, body);
          break;
        case 'locals':
          for (const body of objs(v)) for (const [name, x] of entries(body)) this.local(name, x);
          break;
        case 'provider':
          for (const [[name], body] of labelled(v, 1)) this.provider(name!, body);
          break;
        case 'terraform':
          for (const body of objs(v)) this.terraform(body);
          break;
        case 'import':
          for (const body of objs(v)) this.importBlock(body);
          break;
        // BLOCKS: data sources and check blocks (docs/configuration.md).
        case 'data':
          for (const [[type, name], body] of labelled(v, 2)) this.dataBlock(type!, name!, body);
          break;
        case 'check':
          for (const [[name], body] of labelled(v, 1)) this.checkBlock(name!, body);
          break;
        // moved and removed blocks: read by refactorBlock (config/refactor.ts)
        case 'moved':
        case 'removed':
          for (const body of objs(v)) {
            const pos = this.blockPos([kind]);
            const r = readRefactorBlock(kind, body, pos, (p) => this.pos([kind, ...p]));
            this.diagnostics.push(...r.diagnostics);
            if (r.moved) (this.config.moved ??= []).push(r.moved);
            if (r.removed) (this.config.removed ??= []).push(r.removed);
          }
          break;
        case 'module':
          // MODULES: a local call is read here and its directory loaded after the files
          // (modules.ts); a remote source is reported at its source line.
          for (const [[name], body] of labelled(v, 1)) this.moduleCall(name!, body);
          break;
        default: {
          const known = UNSUPPORTED_TOP[kind];
          const what = known ? known[1] : `The block type "${kind}"`;
          const remedy = known ? `${known[2]} ${SUPPORTED_TOP}` : SUPPORTED_TOP;
          if (known && known[0] > 0)
            for (const [labels] of labelled(v, known[0]))
              this.unsupported(what, remedy, [kind, ...labels], {
                address: [kind, ...labels].join('.'),
                line: this.blockPos([kind, ...labels]).line,
              });
          else this.unsupported(what, remedy, [kind]);
        }
      }
    }
  }

  /** An attribute value as an Expr. HCL nested blocks become an object (one block) or a list
   * of objects (repeated blocks). */
  private valueExpr(v: unknown, path: string[], address?: string): ParsedExpr {
    const where = address ? { address, attribute: path[path.length - 1] } : {};
    if (v instanceof ParsedExpr) {
      // Parsed once by the native parser: its diagnostics are this attribute's.
      this.take(v.diagnostics, where);
      return v;
    }
    const pos = this.pos(path);
    const sink = { file: this.file, diagnostics: [] as Diagnostic[], refs: new Set<string>() };
    const node = this.valueNode(v, path, sink, address);
    this.take(sink.diagnostics, where);
    return new ParsedExpr(node, [...sink.refs].sort(), pos, exprText(v, node), sink.diagnostics);
  }

  private valueNode(
    v: unknown,
    path: string[],
    sink: { file: string; diagnostics: Diagnostic[]; refs: Set<string> },
    address?: string,
    bound: readonly string[] = [],
  ): Node {
    if (v instanceof ParsedExpr) {
      sink.diagnostics.push(...v.diagnostics);
      // Inside a dynamic block's content the iterator is bound: `rule.value` is not a block.
      const names = new Set(bound);
      for (const r of v.refs) if (!names.has(r.slice(0, r.indexOf('.')))) sink.refs.add(r);
      return names.size ? bindNames(v.node, names) : v.node;
    }
    const line = this.index.lineOf(path) ?? 1;
    if (this.isHcl && this.index.isBlock(path) && Array.isArray(v)) {
      const bodies = objs(v).map((body): Node => {
        const items: Array<{ key: Node; value: Node }> = [];
        const dynamic = new Map<string, Node[]>();
        for (const [k, x] of entries(body)) {
          if (k === 'dynamic') {
            for (const [[label], d] of labelled(x, 1)) {
              const list = dynamic.get(label!) ?? [];
              list.push(this.dynamicNode(label!, d, [...path, k, label!], sink, address, bound));
              dynamic.set(label!, list);
            }
            continue;
          }
          items.push({
            key: { k: 'lit', v: k, line },
            value: this.valueNode(x, [...path, k], sink, address, bound),
          });
        }
        mergeDynamic(items, dynamic, line);
        return { k: 'object', items, line };
      });
      return bodies.length === 1 ? bodies[0]! : { k: 'tuple', items: bodies, line };
    }
    return jsonToNode(v, sink, line, (sub) => this.index.lineOf([...path, ...sub]), [], bound);
  }

  /** `dynamic "LABEL" { for_each = X  iterator = I  content { ... } }` (docs/configuration.md,
   * "dynamic blocks"): one LABEL block per element of X, its content evaluated with I (default
   * LABEL) bound to `{ key, value }`, as terraform does. It becomes the expression
   * `[for k, v in X : <content with I = { key = k, value = v }>]`. */
  private dynamicNode(
    label: string,
    body: Obj,
    path: string[],
    sink: { file: string; diagnostics: Diagnostic[]; refs: Set<string> },
    address: string | undefined,
    bound: readonly string[],
  ): Node {
    const line = this.index.lineOf(path) ?? 1;
    let iterator = label;
    let forEach: Node | undefined;
    let content: Node | undefined;
    const bad = (summary: string, remedy: string, at: string[]): Node => {
      sink.diagnostics.push(
        diag('CONFIG_SCHEMA', summary, remedy, {
          ...this.pos(at),
          ...(address ? { address } : {}),
        }),
      );
      return { k: 'bad', line };
    };
    const it = body.iterator;
    if (it !== undefined) {
      const name = bareTraversal(it);
      if (!name || !/^[A-Za-z_][\w-]*$/.test(name))
        return bad(
          'Invalid dynamic iterator name',
          'iterator takes a bare name, as in iterator = rule.',
          [...path, 'iterator'],
        );
      iterator = name;
    }
    for (const [k, x] of entries(body)) {
      if (k === 'for_each') forEach = this.valueNode(x, [...path, k], sink, address, bound);
      else if (k === 'content')
        content = this.valueNode(x, [...path, k], sink, address, [...bound, iterator]);
      else if (k !== 'iterator')
        return bad(
          `Unsupported argument "${k}" in dynamic "${label}"`,
          'A dynamic block takes for_each, iterator and one content block.',
          [...path, k],
        );
    }
    if (!forEach || !content)
      return bad(
        `dynamic "${label}" needs ${forEach ? 'a content block' : 'for_each'}`,
        'Write dynamic "NAME" { for_each = <collection>  content { ... } }.',
        path,
      );
    if (content.k === 'tuple')
      return bad(
        `dynamic "${label}" has more than one content block`,
        'Write one content block.',
        path,
      );
    const k = `${iterator}\u0000key`;
    const v = `${iterator}\u0000value`;
    const pairs: Node = {
      k: 'for',
      keyVar: k,
      valVar: v,
      coll: forEach,
      value: {
        k: 'object',
        items: [
          { key: { k: 'lit', v: 'key', line }, value: { k: 'ref', root: k, line } },
          { key: { k: 'lit', v: 'value', line }, value: { k: 'ref', root: v, line } },
        ],
        line,
      },
      object: false,
      grouping: false,
      line,
    };
    return {
      k: 'for',
      valVar: iterator,
      coll: pairs,
      value: content,
      object: false,
      grouping: false,
      line,
    };
  }

  private unsupportedDiag(
    what: string,
    remedy: string,
    path: string[],
    address?: string,
  ): Diagnostic {
    return diag('CONFIG_UNSUPPORTED', `${what} is not supported`, remedy, {
      ...this.pos(path),
      ...(address ? { address } : {}),
    });
  }

  /** Records the first declaration of `key`; a later one is a CONFIG_SCHEMA diagnostic naming
   * where the first is, and returns false so the caller skips the block. */
  private firstDeclaration(
    seen: Map<string, SourcePos>,
    key: string,
    pos: SourcePos,
    path: string[],
    summary: string,
    detail: (first: SourcePos) => string,
    extra: { address?: string } = {},
  ): boolean {
    const first = seen.get(key);
    if (first) {
      this.report('CONFIG_SCHEMA', summary, detail(first), path, { ...extra, line: pos.line });
      return false;
    }
    seen.set(key, pos);
    return true;
  }

  private resource(type: string, name: string, body: Obj): void {
    const path = ['resource', type, name];
    const address = `${type}.${name}`;
    const pos = this.blockPos(path);
    if (
      !this.firstDeclaration(
        this.resourcePos,
        address,
        pos,
        path,
        `Duplicate resource "${address}"`,
        (first) =>
          `"${address}" is already declared at ${first.file}:${first.line}. Resource names must be unique per type.`,
        { address },
      )
    )
      return;
    const r: ResourceBlock = {
      type,
      name,
      address,
      attributes: {},
      dependsOn: [],
      lifecycle: DEFAULT_LIFECYCLE(),
      pos,
    };
    const dynamicBlocks = new Map<string, Obj[]>();
    for (const [k, v] of entries(body)) {
      const p = [...path, k];
      switch (k) {
        case 'count':
          r.count = this.valueExpr(v, p, address);
          break;
        case 'depends_on':
          this.dependsOnPos.set(address, this.pos(p));
          r.dependsOn = this.dependsOn(v, p, address);
          break;
        case 'lifecycle':
          r.lifecycle = this.lifecycle(objs(v), p, address);
          break;
        case 'for_each':
          r.forEach = this.valueExpr(v, p, address);
          break;
        case 'provisioner':
        case 'connection':
          this.unsupported(
            `A \`${k}\` block`,
            'cmek resources are managed through their attributes only.',
            p,
            { address },
          );
          break;
        case 'dynamic':
          for (const [[label], d] of labelled(v, 1))
            dynamicBlocks.set(label!, [...(dynamicBlocks.get(label!) ?? []), d]);
          break;
        case 'provider':
          // Kept for `cmek policy check`, which reads the region of foreign providers.
          if (bareTraversal(v) !== undefined) r.provider = bareTraversal(v)!;
          if (bareTraversal(v) !== 'cmek')
            this.unsupported(
              `The provider meta-argument (\`${bareTraversal(v)}\`)`,
              'cmek has a single provider configuration; provider aliases are not supported.',
              p,
              { address },
            );
          break;
        default:
          setKey(r.attributes, k, this.valueExpr(v, p, address));
      }
    }
    this.countOrForEach(r, path, address);
    // dynamic blocks of the resource body: each becomes (or extends) its block type's value.
    for (const [label, bodies] of dynamicBlocks) {
      const p = [...path, 'dynamic', label];
      const sink = { file: this.file, diagnostics: [] as Diagnostic[], refs: new Set<string>() };
      const nodes = bodies.map((b) => this.dynamicNode(label, b, p, sink, address, []));
      const items: Array<{ key: Node; value: Node }> = [];
      const existing = r.attributes[label];
      const line = this.pos(p).line;
      if (existing instanceof ParsedExpr)
        items.push({ key: { k: 'lit', v: label, line }, value: existing.node });
      mergeDynamic(items, new Map([[label, nodes]]), line);
      this.take(sink.diagnostics, { address, attribute: label });
      const refs = new Set([...sink.refs, ...(existing?.refs ?? [])]);
      setKey(
        r.attributes,
        label,
        new ParsedExpr(
          items[0]!.value,
          [...refs].sort(),
          this.pos(p),
          `dynamic "${label}"`,
          sink.diagnostics,
        ),
      );
    }
    this.config.resources.push(r);
  }

  /** `import { to = ADDR  id = "..." }`: the address is checked against the resource blocks
   * when planning (they may be in a later file). */
  /** count and for_each are exclusive (a resource or a data block): the error, and for_each
   * dropped. */
  private countOrForEach(b: { count?: Expr; forEach?: Expr }, path: string[], address: string) {
    if (!b.count || !b.forEach) return;
    this.report(
      'CONFIG_SCHEMA',
      'Invalid combination of "count" and "for_each"',
      'The "count" and "for_each" meta-arguments are mutually-exclusive, only one should be used to be explicit about the number of resources to be created.',
      [...path, 'for_each'],
      { address },
    );
    delete b.forEach;
  }

  private importBlock(body: Obj): void {
    const path = ['import'];
    const pos = this.blockPos(path);
    let to: string | undefined;
    let id: ParsedExpr | undefined;
    let forEach: ParsedExpr | undefined;
    let toKey: { block: string; key: ParsedExpr } | undefined;
    for (const [k, v] of entries(body)) {
      const p = [...path, k];
      if (k === 'to') {
        to = bareTraversal(v);
        // for_each: `TYPE.NAME[EXPR]`, the key an expression of each.key / each.value.
        const written = v instanceof ParsedExpr ? v.text.trim() : to;
        const keyed = written && 'for_each' in body ? computedKey(written) : undefined;
        if (keyed) {
          const parsed = parseExpression(keyed.key, { ...this.pos(p), file: this.file });
          this.diagnostics.push(...parsed.diagnostics);
          if (parsed.expr) toKey = { block: keyed.block, key: parsed.expr as ParsedExpr };
          continue;
        }
        const parsed = to ? parseResourceAddress(to) : undefined;
        if (!parsed?.ok) {
          this.report(
            'CONFIG_SCHEMA',
            'Invalid import address',
            `${parsed ? `${parsed.error} ` : ''}import.to is a resource address: TYPE.NAME, TYPE.NAME[N] for a block with count, or TYPE.NAME["KEY"] for one with for_each (e.g. to = cmek_kms_key.main).`,
            p,
            { line: pos.line },
          );
          return;
        }
      } else if (k === 'id') id = this.valueExpr(v, p);
      else if (k === 'for_each') forEach = this.valueExpr(v, p);
      else
        this.unsupported(
          `import.${k}`,
          'An import block takes `to`, `id` (a string) and `for_each` only.',
          p,
          { line: pos.line },
        );
    }
    if (to === undefined || id === undefined) {
      this.diagnostics.push(
        diag(
          'CONFIG_SCHEMA',
          `Missing required argument "${to === undefined ? 'to' : 'id'}" in import block`,
          'Write import { to = TYPE.NAME  id = "ID" }: the address of a resource block and the id of the object to import.',
          { ...pos },
        ),
      );
      return;
    }
    const imports = (this.config.imports ??= []);
    if (forEach) {
      // Targets are known once for_each is evaluated: duplicates are checked by the planner.
      imports.push({
        to,
        id,
        pos,
        forEach,
        ...(toKey ? { toBlock: toKey.block, toKey: toKey.key } : {}),
      });
      return;
    }
    const first = imports.find((i) => i.to === to);
    if (first) {
      this.diagnostics.push(
        diag(
          'CONFIG_SCHEMA',
          `Duplicate import configuration for "${to}"`,
          `${to} is already imported by the import block at ${first.pos.file}:${first.pos.line}. An object can be imported to one address once.`,
          { ...pos, address: to },
        ),
      );
      return;
    }
    imports.push({ to, id, pos });
  }

  private dependsOn(raw: unknown, path: string[], address?: string): string[] {
    const v = plain(raw);
    const out: string[] = [];
    if (!Array.isArray(v)) {
      this.report(
        'CONFIG_SCHEMA',
        'depends_on must be a list',
        'Write depends_on = [TYPE.NAME, ...].',
        path,
        { address },
      );
      return out;
    }
    for (const item of v) {
      const t = bareTraversal(item);
      if (t && /^module\.[A-Za-z_][\w-]*$/.test(t)) {
        out.push(t); // MODULES: every resource of the call's instances (expand.ts)
      } else if (t && /^(module|data)\./.test(t)) {
        this.unsupported(
          `depends_on on \`${t}\``,
          'depends_on may name cmek resources (TYPE.NAME) only.',
          path,
          { address },
        );
      } else if (
        t &&
        /^[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*$/.test(t) &&
        !/^(var|local|count)\./.test(t)
      ) {
        out.push(t);
      } else {
        this.report(
          'CONFIG_REFERENCE',
          `Invalid depends_on entry ${JSON.stringify(item)}`,
          'depends_on entries are resource addresses (TYPE.NAME) without attributes.',
          path,
          { address },
        );
      }
    }
    return out;
  }

  /** `replace_triggered_by = [TYPE.NAME, TYPE.NAME.ATTR, ...]`: references to resources of
   * this configuration (docs/configuration.md, "replace_triggered_by"). */
  private replaceTriggeredBy(v: unknown, path: string[], address: string): Expr[] {
    const out: Expr[] = [];
    const items = Array.isArray(v) ? v : undefined;
    if (!items) {
      this.report(
        'CONFIG_SCHEMA',
        'replace_triggered_by must be a list',
        'Write replace_triggered_by = [TYPE.NAME, TYPE.NAME.ATTRIBUTE, ...].',
        path,
        { address },
      );
      return out;
    }
    for (const item of items) {
      const e = this.valueExpr(item, path, address);
      const refs = e.references.filter((r) => r.kind === 'resource');
      if (refs.length !== 1 || e.references.length !== 1)
        this.report(
          'CONFIG_REFERENCE',
          `Invalid replace_triggered_by entry ${JSON.stringify(item)}`,
          'Each entry names one resource of this configuration, or one of its attributes: TYPE.NAME or TYPE.NAME.ATTRIBUTE.',
          path,
          { address },
        );
      else out.push(e);
    }
    return out;
  }

  private lifecycle(bodies: Obj[], path: string[], address: string): Lifecycle {
    const lc = DEFAULT_LIFECYCLE();
    for (const body of bodies) {
      for (const [k, raw] of entries(body)) {
        const v = plain(raw);
        const p = [...path, k];
        if (k === 'prevent_destroy' || k === 'create_before_destroy') {
          if (typeof v !== 'boolean') {
            this.report(
              'CONFIG_SCHEMA',
              `lifecycle.${k} must be true or false`,
              'Terraform requires a literal bool here; variables are not allowed.',
              p,
              { address, attribute: `lifecycle.${k}` },
            );
            continue;
          }
          if (k === 'prevent_destroy') lc.preventDestroy = v;
          else lc.createBeforeDestroy = v;
        } else if (k === 'ignore_changes') {
          const all = bareTraversal(v);
          if (all === 'all') lc.ignoreChanges = 'all';
          else if (Array.isArray(v)) {
            const names: string[] = [];
            for (const item of v) {
              const t = bareTraversal(item);
              if (t && /^[A-Za-z_][\w-]*/.test(t)) names.push(t);
              else
                this.report(
                  'CONFIG_SCHEMA',
                  `Invalid ignore_changes entry ${JSON.stringify(item)}`,
                  'List attribute names, as in ignore_changes = [tags], or write ignore_changes = all.',
                  p,
                  { address },
                );
            }
            lc.ignoreChanges = names;
          } else
            this.report(
              'CONFIG_SCHEMA',
              'ignore_changes must be a list of attribute names or all',
              'Write ignore_changes = [tags] or ignore_changes = all.',
              p,
              { address },
            );
        } else if (k === 'precondition' || k === 'postcondition') {
          const list = (lc[k === 'precondition' ? 'preconditions' : 'postconditions'] ??= []);
          list.push(...this.conditions(v, p, k, address));
        } else if (k === 'replace_triggered_by') {
          lc.replaceTriggeredBy = this.replaceTriggeredBy(v, p, address);
        } else {
          this.unsupported(
            `lifecycle.${k}`,
            'Supported: prevent_destroy, create_before_destroy, ignore_changes, precondition, postcondition, replace_triggered_by.',
            p,
            { address },
          );
        }
      }
    }
    return lc;
  }

  private variable(name: string, body: Obj): void {
    const path = ['variable', name];
    const pos = this.blockPos(path);
    if (
      !this.firstDeclaration(
        this.varPos,
        name,
        pos,
        path,
        `Duplicate variable "${name}"`,
        (first) => `Variable "${name}" is already declared at ${first.file}:${first.line}.`,
      )
    )
      return;
    const vb: VariableBlock = { name, sensitive: false, pos };
    for (const [k, v] of entries(body)) {
      const p = [...path, k];
      switch (k) {
        case 'default': {
          // Terraform JSON syntax takes a variable default literally (no templates).
          if (!this.isHcl) {
            vb.default = v as Value;
            break;
          }
          const e = this.valueExpr(v, p);
          if (e.refs.length) {
            this.report(
              'CONFIG_REFERENCE',
              `The default of variable "${name}" refers to ${e.refs.join(', ')}`,
              'A variable default must be a literal value.',
              p,
            );
            break;
          }
          if (e.diagnostics.some((d) => d.severity === 'error')) break;
          try {
            vb.default = e.evaluate(mapScope(this.config.dir, {})) as Value;
          } catch (err) {
            const ds = (err as { diagnostics?: Diagnostic[] }).diagnostics;
            if (ds) this.diagnostics.push(...ds);
            else throw err;
          }
          break;
        }
        case 'type': {
          // A native expression's source text, or JSON syntax's string (bare or "${...}").
          const raw = v instanceof ParsedExpr ? v.text : v;
          const t =
            typeof raw === 'string' && raw.startsWith('${') && raw.endsWith('}')
              ? raw.slice(2, -1)
              : raw;
          if (typeof t === 'string' && t.trim()) vb.type = t.replace(/\s+/g, '');
          else
            this.report(
              'CONFIG_SCHEMA',
              `Invalid type for variable "${name}"`,
              'Write a type such as string, number, bool, list(string), map(string) or object({...}).',
              p,
            );
          break;
        }
        case 'description':
          if (typeof plain(v) === 'string') vb.description = plain(v) as string;
          break;
        case 'sensitive':
          vb.sensitive = plain(v) === true;
          break;
        case 'nullable':
          break;
        case 'validation':
          (vb.validations ??= []).push(...this.conditions(v, p, 'validation', `var.${name}`));
          break;
        default:
          this.unsupported(
            `The variable argument "${k}"`,
            'Supported: default, type, description, sensitive, nullable, validation.',
            p,
          );
      }
    }
    this.config.variables.push(vb);
  }

  private output(name: string, body: Obj): void {
    const path = ['output', name];
    const pos = this.blockPos(path);
    if (
      !this.firstDeclaration(
        this.outputPos,
        name,
        pos,
        path,
        `Duplicate output "${name}"`,
        (first) => `Output "${name}" is already declared at ${first.file}:${first.line}.`,
      )
    )
      return;
    let value: Expr | undefined;
    const ob: Omit<OutputBlock, 'value'> = { name, sensitive: false, dependsOn: [], pos };
    for (const [k, v] of entries(body)) {
      const p = [...path, k];
      switch (k) {
        case 'value':
          value = this.valueExpr(v, p);
          break;
        case 'description':
          if (typeof plain(v) === 'string') ob.description = plain(v) as string;
          break;
        case 'sensitive':
          ob.sensitive = plain(v) === true;
          break;
        case 'depends_on':
          this.dependsOnPos.set(`output.${name}`, this.pos(p));
          ob.dependsOn = this.dependsOn(v, p);
          break;
        case 'precondition':
          (ob.preconditions ??= []).push(...this.conditions(v, p, 'precondition'));
          break;
        default:
          this.unsupported(
            `The output argument "${k}"`,
            'Supported: value, description, sensitive, depends_on, precondition.',
            p,
          );
      }
    }
    if (!value) {
      this.report(
        'CONFIG_SCHEMA',
        `Output "${name}" has no value`,
        'Add value = <expression>.',
        path,
      );
      return;
    }
    this.config.outputs.push({ ...ob, value });
  }

  private local(name: string, v: unknown): void {
    const path = ['locals', name];
    const pos = this.blockPos(path);
    if (
      !this.firstDeclaration(
        this.localPos,
        name,
        pos,
        path,
        `Duplicate local value "${name}"`,
        (first) => `local.${name} is already defined at ${first.file}:${first.line}.`,
      )
    )
      return;
    this.config.locals.push({ name, value: this.valueExpr(v, path), pos });
  }

  private readonly modulePos = new Map<string, SourcePos>();

  /** `module "NAME" { source = "./x"  ARG = EXPR ...  count | for_each  depends_on  providers }`
   * (docs/configuration.md, "Modules"): the call as written; its directory is loaded later. */
  private moduleCall(name: string, body: Obj): void {
    const path = ['module', name];
    const address = `module.${name}`;
    const pos = this.blockPos(path);
    if (
      !this.firstDeclaration(
        this.modulePos,
        name,
        pos,
        path,
        `Duplicate module call "${name}"`,
        (first) =>
          `module "${name}" is already declared at ${first.file}:${first.line}. Module call names must be unique in a module.`,
        { address },
      )
    )
      return;
    const remote = remoteModuleSource(body);
    if (remote) {
      this.unsupported(remote[0], remote[1], [...path, 'source'], { address });
      return;
    }
    const source = plain(body.source);
    if (typeof source !== 'string') {
      this.report(
        'CONFIG_SCHEMA',
        source === undefined ? 'Missing required argument "source"' : 'Invalid module source',
        'A module call needs source = "./modules/NAME": a literal local path, relative to this module\'s directory.',
        source === undefined ? path : [...path, 'source'],
        source === undefined ? { address, line: pos.line } : { address },
      );
      return;
    }
    const call: ModuleCall = {
      name,
      source,
      dir: '',
      config: undefined as unknown as Config,
      args: {},
      dependsOn: [],
      pos,
      sourcePos: this.pos([...path, 'source']),
    };
    for (const [k, v] of entries(body)) {
      const p = [...path, k];
      switch (k) {
        case 'source':
          break;
        case 'version':
          // terraform: "Cannot use version argument with a local module".
          this.report(
            'CONFIG_MODULE',
            'Invalid argument "version" for a local module',
            'Cannot use version argument with a local module: a local module is the directory it names. Remove version.',
            p,
            { address },
          );
          break;
        case 'count':
        case 'for_each': {
          const e = this.valueExpr(v, p, address);
          if (k === 'count') call.count = e;
          else call.forEach = e;
          if (call.count && call.forEach)
            this.report(
              'CONFIG_SCHEMA',
              'Invalid combination of "count" and "for_each"',
              'The "count" and "for_each" meta-arguments are mutually-exclusive, only one should be used to be explicit about the number of module instances to be created.',
              p,
              { address },
            );
          break;
        }
        case 'depends_on':
          call.dependsOn = this.dependsOn(v, p, address);
          this.dependsOnPos.set(address, this.pos(p));
          break;
        case 'providers': {
          // cmek has one provider configuration, the root module's: `providers = { cmek = cmek }`
          // passes it on, as terraform does by default. Anything else names nothing cmek has.
          const m = plain(v);
          const ok =
            isObj(m) &&
            Object.entries(m).every(([pk, pv]) => pk === 'cmek' && bareTraversal(pv) === 'cmek');
          if (!ok)
            this.unsupported(
              'A providers map other than { cmek = cmek }',
              "cmek has one provider configuration, the root module's, and every module uses it: write providers = { cmek = cmek } or leave providers out.",
              p,
              { address },
            );
          break;
        }
        case 'provider':
        case 'lifecycle':
          this.report(
            'CONFIG_SCHEMA',
            `Unsupported argument "${k}" in a module call`,
            `A module call takes source, the module's input variables, count or for_each, depends_on and providers; "${k}" is reserved.`,
            p,
            { address },
          );
          break;
        default:
          setKey(call.args, k, this.valueExpr(v, p, address));
      }
    }
    (this.config.modules ??= []).push(call);
  }

  private provider(name: string, body: Obj): void {
    const path = ['provider', name];
    const pos = this.blockPos(path);
    if (name !== 'cmek') {
      // Recorded (not evaluated) for `cmek policy check`: the region of aws/google providers.
      const attributes: Record<string, Expr> = {};
      for (const [k, v] of entries(body)) setKey(attributes, k, this.valueExpr(v, [...path, k]));
      (this.config.foreignProviders ??= []).push({ name, attributes, pos });
      this.unsupported(
        `The provider "${name}"`,
        'cmek configures only provider "cmek"; resources of other providers are not managed by cmek.',
        path,
        { line: pos.line },
      );
      return;
    }
    if (this.config.provider) {
      this.report(
        'CONFIG_SCHEMA',
        'Duplicate provider "cmek" block',
        `The provider is already configured at ${this.config.provider.pos.file}:${this.config.provider.pos.line}; aliases are not supported.`,
        path,
        { line: pos.line },
      );
      return;
    }
    const attributes: Record<string, Expr> = {};
    for (const [k, v] of entries(body)) {
      if (k === 'alias')
        this.unsupported('A provider alias', 'Declare a single provider "cmek" block.', [
          ...path,
          k,
        ]);
      else setKey(attributes, k, this.valueExpr(v, [...path, k]));
    }
    this.config.provider = { attributes, pos };
  }

  private terraform(body: Obj): void {
    for (const [k, v] of entries(body)) {
      const p = ['terraform', k];
      if (k === 'required_providers' || k === 'required_version') continue;
      if (k === 'backend') {
        for (const [[type], b] of labelled(v, 1)) {
          const bp = [...p, type!];
          if (this.backendPos) {
            this.report(
              'CONFIG_SCHEMA',
              'Duplicate backend',
              `A backend is already configured at ${this.backendPos.file}:${this.backendPos.line}.`,
              bp,
            );
            continue;
          }
          this.backendPos = this.pos(bp);
          if (type !== 'local' && type !== 'pg') {
            this.unsupported(
              `The backend "${type}"`,
              'cmek stores state in backend "local" (files) or "pg" (PostgreSQL); see docs/backends.md.',
              bp,
            );
            continue;
          }
          const known = BACKEND_SETTINGS[type];
          const settings: Record<string, string | boolean> = {};
          for (const [bk, raw] of entries(b)) {
            const bv = plain(raw);
            const kind = known[bk];
            if (!kind) {
              this.unsupported(
                `The ${type} backend setting "${bk}"`,
                `Supported: ${Object.keys(known).join(', ')}.`,
                [...bp, bk],
              );
            } else if (
              (kind === 'string' && typeof bv === 'string' && !bv.includes('${')) ||
              (kind === 'bool' && typeof bv === 'boolean')
            ) {
              settings[bk] = bv;
            } else {
              this.report(
                'CONFIG_SCHEMA',
                `backend "${type}" ${bk} must be a literal ${kind === 'bool' ? 'true or false' : 'string'}`,
                'Backend settings cannot use variables or expressions (pass secrets with ' +
                  'cmek init -backend-config or the environment instead).',
                [...bp, bk],
              );
            }
          }
          this.config.backend = {
            type,
            path:
              type === 'local' && typeof settings.path === 'string'
                ? settings.path
                : 'terraform.tfstate',
            // The local backend's one setting is `path` (kept in that field, as before).
            ...(type !== 'local' && Object.keys(settings).length ? { settings } : {}),
          };
        }
        continue;
      }
      this.unsupported(
        `terraform.${k}`,
        'Supported in the terraform block: backend "local" or "pg", required_providers, required_version.',
        p,
      );
    }
  }

  // -------------------------------------------------------------------------------------------
  // BLOCKS: data sources, check blocks and custom conditions (docs/configuration.md).

  /** `precondition` / `postcondition` / `validation` / `assert` blocks: each a condition and an
   * error_message, at the line of its block. */
  private conditions(
    v: unknown,
    path: string[],
    kind: Condition['kind'],
    address?: string,
  ): Condition[] {
    const out: Condition[] = [];
    const lines = this.index.blockLines(path);
    objs(v).forEach((body, i) => {
      const pos = { file: this.file, line: lines[i] ?? this.pos(path).line };
      let condition: ParsedExpr | undefined;
      let errorMessage: ParsedExpr | undefined;
      for (const [k, x] of entries(body)) {
        if (k === 'condition') condition = this.valueExpr(x, [...path, k], address);
        else if (k === 'error_message') errorMessage = this.valueExpr(x, [...path, k], address);
        else
          this.report(
            'CONFIG_SCHEMA',
            `Unsupported argument "${k}" in a ${kind} block`,
            `A ${kind} block takes condition and error_message.`,
            [...path, k],
            { ...(address ? { address } : {}), line: pos.line },
          );
      }
      if (!condition || !errorMessage) {
        this.report(
          'CONFIG_SCHEMA',
          `Missing required argument "${condition ? 'error_message' : 'condition'}" in a ${kind} block`,
          `Write ${kind} { condition = <bool expression>  error_message = "..." }.`,
          path,
          { ...(address ? { address } : {}), line: pos.line },
        );
        return;
      }
      out.push({ kind, condition, errorMessage, pos });
    });
    return out;
  }

  /** `data "TYPE" "NAME" { ... }`; inside a check block `check` names it. */
  private dataBlock(type: string, name: string, body: Obj, check?: string): void {
    const path = check ? ['check', check, 'data', type, name] : ['data', type, name];
    const address = `data.${type}.${name}`;
    const pos = this.blockPos(path);
    if (
      !this.firstDeclaration(
        this.dataPos,
        address,
        pos,
        path,
        `Duplicate data source "${address}"`,
        (first) =>
          `"${address}" is already declared at ${first.file}:${first.line}. Data source names must be unique per type.`,
        { address },
      )
    )
      return;
    const d: DataBlock = {
      type,
      name,
      address,
      attributes: {},
      dependsOn: [],
      preconditions: [],
      postconditions: [],
      pos,
      ...(check ? { check } : {}),
    };
    for (const [k, v] of entries(body)) {
      const p = [...path, k];
      switch (k) {
        case 'depends_on':
          this.dependsOnPos.set(address, this.pos(p));
          d.dependsOn = this.dependsOn(v, p, address);
          break;
        case 'lifecycle':
          for (const lb of objs(v))
            for (const [lk, lv] of entries(lb)) {
              if (lk === 'precondition' || lk === 'postcondition')
                d[lk === 'precondition' ? 'preconditions' : 'postconditions'].push(
                  ...this.conditions(lv, [...p, lk], lk, address),
                );
              else
                this.unsupported(
                  `lifecycle.${lk} in a data block`,
                  "A data block's lifecycle takes precondition and postcondition blocks.",
                  [...p, lk],
                  { address },
                );
            }
          break;
        case 'count':
          d.count = this.valueExpr(v, p, address);
          break;
        case 'for_each':
          d.forEach = this.valueExpr(v, p, address);
          break;
        case 'provider':
          this.unsupported(
            `The \`${k}\` meta-argument on a data block`,
            'cmek has a single provider configuration; remove the provider argument.',
            p,
            { address },
          );
          break;
        default:
          setKey(d.attributes, k, this.valueExpr(v, p, address));
      }
    }
    this.countOrForEach(d, path, address);
    (this.config.dataSources ??= []).push(d);
  }

  /** `check "NAME" { data ... {}  assert { condition  error_message } }`. */
  private checkBlock(name: string, body: Obj): void {
    const path = ['check', name];
    const pos = this.blockPos(path);
    if (
      !this.firstDeclaration(
        this.checkPos,
        name,
        pos,
        path,
        `Duplicate check block "${name}"`,
        (first) => `check "${name}" is already declared at ${first.file}:${first.line}.`,
      )
    )
      return;
    const c: CheckBlock = { name, asserts: [], pos };
    for (const [k, v] of entries(body)) {
      const p = [...path, k];
      if (k === 'assert') c.asserts.push(...this.conditions(v, p, 'assert', `check.${name}`));
      else if (k === 'data')
        for (const [[type, dn], b] of labelled(v, 2)) this.dataBlock(type!, dn!, b, name);
      else
        this.report(
          'CONFIG_SCHEMA',
          `Unsupported block or argument "${k}" in check "${name}"`,
          'A check block holds assert blocks and at most one data block.',
          p,
        );
    }
    if (!c.asserts.length)
      this.report(
        'CONFIG_SCHEMA',
        `check "${name}" has no assert block`,
        'Add assert { condition = <bool expression>  error_message = "..." }.',
        path,
        { line: pos.line },
      );
    (this.config.checks ??= []).push(c);
  }

  /** After every file: check that references name something declared. */
  validateReferences(): void {
    const c = this.config;
    const resources = new Set(c.resources.map((r) => r.address));
    const vars = new Set(c.variables.map((v) => v.name));
    const locals = new Set(c.locals.map((l) => l.name));
    const datas = new Set((c.dataSources ?? []).map((d) => d.address));
    // Every call declared, a remote one too (reported at its source line already).
    const calls = new Set(this.modulePos.keys());
    // depends_on may name a module call (MODULES) as well as a resource.
    for (const m of calls) resources.add(`module.${m}`);
    const check = (
      e: Expr,
      where: { address?: string; attribute?: string },
      hasCount: boolean,
      hasEach = false,
    ) => {
      // `each.*` names no block, so it is in `references` but not in `refs`.
      const eachRefs = e.references.flatMap((r) =>
        r.kind === 'each' ? [`each.${r.attribute}`] : [],
      );
      for (const ref of [...e.refs, ...new Set(eachRefs)]) {
        const [root, name] = ref.split('.') as [string, string];
        if (root === 'module') {
          // MODULES: a call of this module; its outputs are checked once it is loaded.
          if (!calls.has(name))
            this.diagnostics.push(
              diag(
                'CONFIG_REFERENCE',
                `Reference to undeclared module "${name}"`,
                suggestion(
                  `module.${name}`,
                  [...calls].map((m) => `module.${m}`),
                  'module calls',
                ),
                {
                  ...e.pos,
                  ...(e instanceof ParsedExpr ? e.placeOfRef(ref) : undefined),
                  ...where,
                },
              ),
            );
          continue;
        }
        if (root === 'data') {
          if (!datas.has(ref))
            this.diagnostics.push(
              diag(
                'CONFIG_REFERENCE',
                `Reference to undeclared data source "${ref}"`,
                suggestion(ref, [...datas], 'data sources'),
                {
                  ...e.pos,
                  line: (e instanceof ParsedExpr ? e.lineOfRef(ref) : undefined) ?? e.pos.line,
                  ...where,
                },
              ),
            );
          continue;
        }
        if (ref === 'terraform.workspace') continue; // the selected workspace, always there
        let problem: [string, string] | undefined;
        if (root === 'var' && !vars.has(name))
          problem = [
            `Reference to undeclared variable "${ref}"`,
            suggestion(
              ref,
              [...vars].map((v) => `var.${v}`),
              'variables',
            ),
          ];
        else if (root === 'local' && !locals.has(name))
          problem = [
            `Reference to undeclared local value "${ref}"`,
            suggestion(
              ref,
              [...locals].map((l) => `local.${l}`),
              'local values',
            ),
          ];
        else if (root === 'each') {
          if (name !== 'key' && name !== 'value')
            problem = [
              `Invalid reference "${ref}"`,
              'The "each" object has two attributes: each.key and each.value.',
            ];
          else if (!hasEach)
            problem = [
              'Reference to "each" in context without for_each',
              'The "each" object can be used only in "module" or "resource" blocks, and only when the "for_each" argument is set.',
            ];
        } else if (root === 'count') {
          if (name !== 'index')
            problem = [`Invalid reference "${ref}"`, 'The only count attribute is count.index.'];
          else if (!hasCount)
            problem = [
              'Reference to count.index outside a resource with count',
              'count.index is available only in the attributes of a resource or data block that sets count.',
            ];
        } else if (root !== 'var' && root !== 'local' && !resources.has(ref))
          problem = [
            `Reference to undeclared resource "${ref}"`,
            suggestion(ref, [...resources], 'resources'),
          ];
        if (problem)
          this.diagnostics.push(
            diag('CONFIG_REFERENCE', problem[0], problem[1], {
              ...e.pos,
              ...(e instanceof ParsedExpr ? e.placeOfRef(ref) : undefined),
              ...where,
            }),
          );
      }
    };
    // depends_on entries that name no resource (or module call) of this module.
    const dependsOnNames = (
      list: readonly string[],
      key: string,
      pos: SourcePos,
      where: { address?: string; attribute: string },
    ) => {
      for (const d of list)
        if (!resources.has(d))
          this.diagnostics.push(
            diag(
              'CONFIG_REFERENCE',
              `depends_on names undeclared resource "${d}"`,
              suggestion(d, [...resources], 'resources'),
              { ...(this.dependsOnPos.get(key) ?? pos), ...where },
            ),
          );
    };
    for (const r of c.resources) {
      if (r.count) check(r.count, { address: r.address, attribute: 'count' }, false);
      if (r.forEach) check(r.forEach, { address: r.address, attribute: 'for_each' }, false);
      for (const [k, e] of Object.entries(r.attributes))
        check(e, { address: r.address, attribute: k }, !!r.count, !!r.forEach);
      dependsOnNames(r.dependsOn, r.address, r.pos, {
        address: r.address,
        attribute: 'depends_on',
      });
    }
    // BLOCKS: data blocks' arguments and every custom condition.
    const conds = (list: readonly Condition[] | undefined, where: { address?: string }) => {
      for (const cd of list ?? []) {
        check(cd.condition, where, false);
        check(cd.errorMessage, where, false);
      }
    };
    for (const d of c.dataSources ?? []) {
      if (d.count) check(d.count, { address: d.address, attribute: 'count' }, false);
      if (d.forEach) check(d.forEach, { address: d.address, attribute: 'for_each' }, false);
      for (const [k, e] of Object.entries(d.attributes))
        check(e, { address: d.address, attribute: k }, !!d.count, !!d.forEach);
      for (const cd of [...d.preconditions, ...d.postconditions]) {
        check(cd.condition, { address: d.address }, !!d.count, !!d.forEach);
        check(cd.errorMessage, { address: d.address }, !!d.count, !!d.forEach);
      }
    }
    for (const r of c.resources) {
      conds(r.lifecycle.preconditions, { address: r.address });
      conds(r.lifecycle.postconditions, { address: r.address });
      for (const e of r.lifecycle.replaceTriggeredBy ?? [])
        check(e, { address: r.address, attribute: 'lifecycle.replace_triggered_by' }, !!r.count);
    }
    for (const o of c.outputs) conds(o.preconditions, { address: `output.${o.name}` });
    for (const v of c.variables) conds(v.validations, { address: `var.${v.name}` });
    for (const ch of c.checks ?? []) conds(ch.asserts, { address: `check.${ch.name}` });
    for (const l of c.locals) check(l.value, { attribute: `local.${l.name}` }, false);
    for (const o of c.outputs) {
      check(o.value, { attribute: `output.${o.name}` }, false);
      dependsOnNames(o.dependsOn, `output.${o.name}`, o.pos, { attribute: `output.${o.name}` });
    }
    if (c.provider)
      for (const [k, e] of Object.entries(c.provider.attributes))
        check(e, { attribute: `provider.${k}` }, false);
    // MODULES: a call's arguments read the calling module (count.index / each.* of the call).
    for (const m of c.modules ?? []) {
      const address = `module.${m.name}`;
      if (m.count) check(m.count, { address, attribute: 'count' }, false);
      if (m.forEach) check(m.forEach, { address, attribute: 'for_each' }, false);
      for (const [k, e] of Object.entries(m.args))
        check(e, { address, attribute: k }, !!m.count, !!m.forEach);
      dependsOnNames(m.dependsOn, address, m.pos, { address, attribute: 'depends_on' });
    }
  }
}

/** Load a working directory: every *.tf and *.tf.json in it (sorted), which includes a cdktf
 * stack directory's cdk.tf.json. Never throws for bad configuration: see `diagnostics`. */
export async function loadConfig(dir: string, opts: LoadOptions = {}): Promise<LoadResult> {
  let abs = resolve(dir);
  let only = opts.files;
  // A path to one configuration file (`cdktf.out/stacks/app/cdk.tf.json`) loads that file,
  // with its directory as the working directory.
  if (!only && /\.tf(\.json)?$/.test(abs) && (await stat(abs).catch(() => undefined))?.isFile()) {
    only = [basename(abs)];
    abs = dirname(abs);
  }
  const loader = new Loader(abs, opts.unsupportedSeverity ?? 'error');
  let files: string[];
  if (only) files = [...only];
  else {
    try {
      files = await configFiles(abs);
    } catch (e) {
      loader.diagnostics.push(
        diag(
          'CONFIG_SYNTAX',
          `Cannot read the configuration directory ${dir}`,
          `${(e as NodeJS.ErrnoException).code ?? (e as Error).message}: pass an existing directory with -chdir.`,
          { file: dir },
        ),
      );
      return { config: loader.config, diagnostics: loader.diagnostics };
    }
  }
  if (files.length === 0) {
    // A cdktf app directory: name the synthesized stacks so the remedy is copy-pasteable.
    const stacks = await readdir(resolve(abs, 'cdktf.out', 'stacks')).catch(() => [] as string[]);
    const hint = stacks.length
      ? `This looks like a cdktf app: use -chdir=${stacks.map((n) => `cdktf.out/stacks/${n}`).join(' or -chdir=')}.`
      : 'For cdktf, point at the stack directory (cdktf.out/stacks/NAME) that holds cdk.tf.json.';
    loader.diagnostics.push(
      diag(
        'CONFIG_SYNTAX',
        'No configuration files',
        `${abs} has no *.tf or *.tf.json files. ${hint}`,
        {
          file: '.',
        },
      ),
    );
    return { config: loader.config, diagnostics: loader.diagnostics };
  }
  for (const f of files) {
    if (/(^|[\\/_])override\.tf(\.json)?$/.test(f)) {
      loader.diagnostics.push({
        ...diag(
          'CONFIG_UNSUPPORTED',
          'An override file is not supported',
          `${f} would be merged over other files in Terraform; cmek does not merge. Move its contents into a normal file.`,
          { file: f, line: 1 },
        ),
        severity: opts.unsupportedSeverity ?? 'error',
      });
      continue;
    }
    loader.config.files.push(f);
    try {
      await loader.loadFile(abs, f);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (!err.code) throw e;
      loader.diagnostics.push(
        diag('CONFIG_SYNTAX', `Cannot read ${f}`, `${err.code}: ${err.message}`, { file: f }),
      );
    }
  }
  loader.validateReferences();
  // MODULES: the directories of local module calls (modules.ts).
  if (loader.config.modules?.length)
    loader.diagnostics.push(
      ...(await loadModuleCalls(
        loader.config,
        opts.moduleStack ?? [abs],
        { unsupportedSeverity: opts.unsupportedSeverity ?? 'error' },
        loadConfig,
      )),
    );
  // Source order (JSON objects put integer-like keys first; users expect plans in the order
  // they wrote).
  const read = loader.config.files;
  const bySource = (a: { pos: SourcePos }, b: { pos: SourcePos }) =>
    read.indexOf(a.pos.file) - read.indexOf(b.pos.file) || a.pos.line - b.pos.line;
  loader.config.resources.sort(bySource);
  loader.config.variables.sort(bySource);
  loader.config.locals.sort(bySource);
  loader.config.outputs.sort(bySource);
  loader.config.dataSources?.sort(bySource);
  return { config: loader.config, diagnostics: tidy(loader.diagnostics, files) };
}

/** Report order follows the source (walking the tree by block type does not), and
 * a construct used several times on one line is reported once. */
function tidy(diags: Diagnostic[], files: string[]): Diagnostic[] {
  const seen = new Set<string>();
  const unique = diags.filter((d) => {
    const k = [d.code, d.severity, d.summary, d.file, d.line, d.address].join('\u0000');
    return seen.has(k) ? false : (seen.add(k), true);
  });
  const fileRank = (f?: string) => (f === undefined ? -1 : files.indexOf(f));
  return unique
    .map((d, i) => ({ d, i }))
    .sort(
      (a, b) =>
        fileRank(a.d.file) - fileRank(b.d.file) || (a.d.line ?? 0) - (b.d.line ?? 0) || a.i - b.i,
    )
    .map((x) => x.d);
}

/** Put the blocks `dynamic` blocks generate next to the static ones of the same type: a list of
 * block objects (static first, then each dynamic in order), as terraform expands them. */
function mergeDynamic(
  items: Array<{ key: Node; value: Node }>,
  dynamic: Map<string, Node[]>,
  line: number,
): void {
  for (const [label, nodes] of dynamic) {
    const at = items.findIndex((i) => i.key.k === 'lit' && i.key.v === label);
    const lists: Node[] = [];
    if (at >= 0) {
      const s = items[at]!.value;
      lists.push(s.k === 'tuple' ? s : { k: 'tuple', items: [s], line });
      items.splice(at, 1);
    }
    lists.push(...nodes);
    items.push({
      key: { k: 'lit', v: label, line },
      value: lists.length === 1 ? lists[0]! : { k: 'call', name: 'concat', args: lists, line },
    });
  }
}

/** `TYPE.NAME[EXPR]` with a key that is not a literal: the block and the key's text. */
function computedKey(to: string): { block: string; key: string } | undefined {
  const m = /^([A-Za-z_][\w-]*\.[A-Za-z_][\w-]*)\[([\s\S]+)\]$/.exec(to.trim());
  if (!m || /^\s*(\d+|"(?:[^"\\$%]|[$%](?!\{))*")\s*$/.test(m[2]!)) return undefined;
  return { block: m[1]!, key: m[2]! };
}
