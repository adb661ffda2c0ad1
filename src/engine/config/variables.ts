// Input variables (docs/configuration.md, "Variables"): default < TF_VAR_name <
// -var NAME=VALUE, as in Terraform. Values
// from the command line and the environment are strings; for a variable whose type is not
// string (nor absent) the string is parsed as an HCL literal expression, then every value,
// defaults included, is converted to the declared type.

import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { diag, DiagnosticError, type Diagnostic } from '../../model/diagnostics.js';
import { isUnknown, Sensitive, type Value } from '../../model/values.js';
import { setKey } from './evaluate.js';
import { numberToString, parseNumber } from './functions/index.js';
import { jsonExpr, mapScope, parseExpression, ParsedExpr } from './expr.js';
import { parseHclFile } from './syntax.js';
import { suggestion } from './suggest.js';
import type { Config, VariableBlock } from './types.js';

export interface VariableInputs {
  /** From `-var NAME=VALUE`. */
  cliVars?: Record<string, string>;
  /** Typed values from variable files (see loadVarFiles): terraform.tfvars, *.auto.tfvars and
   * -var-file. They override TF_VAR_ and are overridden by -var. */
  fileVars?: Record<string, Value>;
  /** Usually process.env: TF_VAR_NAME values. */
  env?: NodeJS.ProcessEnv;
}

export interface VariableResult {
  /** By variable name (without `var.`). */
  values: Record<string, Value>;
  diagnostics: Diagnostic[];
}

/** A parsed type constraint. */
export type TypeSpec =
  | { kind: 'any' | 'string' | 'number' | 'bool' }
  | { kind: 'list' | 'set' | 'map'; of: TypeSpec }
  | { kind: 'tuple'; items: TypeSpec[] }
  | { kind: 'object'; attrs: Record<string, { type: TypeSpec; optional: boolean }> };

/** Parse a type constraint such as `list(object({name=string,size=optional(number)}))`. */
export function parseType(text: string): TypeSpec {
  let i = 0;
  const s = text.replace(/\s+/g, '');
  const ident = () => {
    const m = /^[A-Za-z_][\w-]*/.exec(s.slice(i));
    if (!m) throw new Error(`expected a type name at "${s.slice(i) || 'end'}"`);
    i += m[0].length;
    return m[0];
  };
  const expect = (c: string) => {
    if (s[i] !== c) throw new Error(`expected "${c}" at "${s.slice(i) || 'end'}"`);
    i++;
  };
  const type = (): TypeSpec => {
    const name = ident();
    switch (name) {
      case 'any':
      case 'string':
      case 'number':
      case 'bool':
        return { kind: name };
      case 'list':
      case 'set':
      case 'map': {
        // Terraform still accepts the pre-0.12 shorthands `list` and `map` (of any).
        if (s[i] !== '(') return { kind: name, of: { kind: 'any' } };
        expect('(');
        const of = type();
        expect(')');
        return { kind: name, of };
      }
      case 'tuple': {
        expect('(');
        expect('[');
        const items: TypeSpec[] = [];
        while (s[i] !== ']') {
          items.push(type());
          if (s[i] === ',') i++;
        }
        expect(']');
        expect(')');
        return { kind: 'tuple', items };
      }
      case 'object': {
        expect('(');
        expect('{');
        const attrs: Record<string, { type: TypeSpec; optional: boolean }> = {};
        while (s[i] !== '}') {
          const k = s[i] === '"' ? JSON.parse(s.slice(i, s.indexOf('"', i + 1) + 1)) : ident();
          if (s[i] === '"') i = s.indexOf('"', i + 1) + 1;
          if (s[i] === '=' || s[i] === ':') i++;
          else expect('=');
          let optional = false;
          let t: TypeSpec;
          if (s.startsWith('optional(', i)) {
            i += 'optional('.length;
            optional = true;
            t = type();
            if (s[i] === ',') {
              // optional(T, default): the default is not supported; say so rather than drop it.
              throw new Error('optional() defaults are not supported');
            }
            expect(')');
          } else t = type();
          attrs[k as string] = { type: t, optional };
          if (s[i] === ',') i++;
        }
        expect('}');
        expect(')');
        return { kind: 'object', attrs };
      }
      default:
        throw new Error(`unknown type "${name}"`);
    }
  };
  const t = type();
  if (i !== s.length) throw new Error(`unexpected "${s.slice(i)}"`);
  return t;
}

/** Convert a value to a type as Terraform does for input variables; throws Error(message). */
export function convert(v: Value, t: TypeSpec, path = ''): Value {
  if (isUnknown(v) || t.kind === 'any') return v;
  if (v instanceof Sensitive) return new Sensitive(convert(v.value, t, path));
  if (v === null) return null;
  const where = path ? ` at ${path}` : '';
  switch (t.kind) {
    case 'string':
      if (typeof v === 'string') return v;
      if (typeof v === 'number') return numberToString(v);
      if (typeof v === 'boolean') return String(v);
      throw new Error(`a string is required${where}`);
    case 'number':
      if (typeof v === 'number') return v;
      if (typeof v === 'string' && parseNumber(v) !== undefined) return parseNumber(v)!;
      throw new Error(`a number is required${where}`);
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      throw new Error(`a bool is required${where}`);
    case 'list':
    case 'set': {
      if (!Array.isArray(v)) throw new Error(`a ${t.kind} is required${where}`);
      const items = v.map((x, i) => convert(x, t.of, `${path}[${i}]`));
      if (t.kind === 'set') {
        const seen = new Set<string>();
        return items.filter((x) => {
          const k = JSON.stringify(x);
          return seen.has(k) ? false : (seen.add(k), true);
        });
      }
      return items;
    }
    case 'tuple':
      if (!Array.isArray(v) || v.length !== t.items.length)
        throw new Error(`a tuple of ${t.items.length} elements is required${where}`);
      return v.map((x, i) => convert(x, t.items[i]!, `${path}[${i}]`));
    case 'map': {
      if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`a map is required${where}`);
      const out: Record<string, Value> = {};
      for (const [k, x] of Object.entries(v)) setKey(out, k, convert(x, t.of, `${path}.${k}`));
      return out;
    }
    case 'object': {
      if (typeof v !== 'object' || Array.isArray(v))
        throw new Error(`an object is required${where}`);
      const out: Record<string, Value> = {};
      for (const [k, a] of Object.entries(t.attrs)) {
        if (Object.prototype.hasOwnProperty.call(v, k))
          setKey(out, k, convert(v[k]!, a.type, `${path}.${k}`));
        else if (a.optional) setKey(out, k, null);
        else throw new Error(`attribute "${k}" is required${where}`);
      }
      return out;
    }
  }
}

function parseRaw(raw: string, vb: VariableBlock, source: string): Value {
  if (vb.type === undefined || vb.type === 'string') return raw;
  const pos = { file: source, line: 1 };
  const { expr, diagnostics } = parseExpression(raw, pos);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  // The parser's messages quote the text; the value may be secret, so say what is wrong only.
  if (errors.length)
    throw new Error('the text is not an HCL literal (strings inside lists and maps need quotes)');
  if (expr.refs.length) throw new Error('the value must be a literal, not a reference');
  try {
    return expr.evaluate(mapScope('.', {}));
  } catch (e) {
    if (e instanceof DiagnosticError) throw new Error('the text is not a literal value');
    throw e;
  }
}

/** Where loadVarFiles found each name of the values it returned (the last file that set it), so
 * an undeclared name can be reported at its file:line without widening VariableInputs. */
const fileVarOrigins = new WeakMap<object, Map<string, { file: string; line: number }>>();

export function resolveVariables(config: Config, inputs: VariableInputs = {}): VariableResult {
  const cli = inputs.cliVars ?? {};
  const env = inputs.env ?? {};
  const values: Record<string, Value> = {};
  const diagnostics: Diagnostic[] = [];
  const declared = new Map(config.variables.map((v) => [v.name, v]));
  const origins = inputs.fileVars ? fileVarOrigins.get(inputs.fileVars) : undefined;
  for (const name of Object.keys(inputs.fileVars ?? {})) {
    if (!declared.has(name))
      // A warning, as in Terraform: a variable file may be shared by several configurations.
      diagnostics.push({
        ...diag(
          'CONFIG_REFERENCE',
          `Value for undeclared variable "${name}"`,
          `${origins?.get(name)?.file ?? 'A variable file'} sets "${name}", which no variable block declares; it is ignored. ${suggestion(name, [...declared.keys()], 'variables')}`,
          origins?.get(name) ?? {},
        ),
        severity: 'warning',
      });
  }
  for (const name of Object.keys(cli)) {
    if (!declared.has(name))
      diagnostics.push(
        diag(
          'CONFIG_REFERENCE',
          `Value for undeclared variable "${name}"`,
          `-var ${name}=... names no variable block. ${suggestion(name, [...declared.keys()], 'variables')}`,
          {},
        ),
      );
  }
  for (const vb of config.variables) {
    const at = { file: vb.pos.file, line: vb.pos.line, attribute: `var.${vb.name}` };
    let type: TypeSpec = { kind: 'any' };
    if (vb.type) {
      try {
        type = parseType(vb.type);
      } catch (e) {
        diagnostics.push(
          diag(
            'CONFIG_SCHEMA',
            `Invalid type constraint for variable "${vb.name}"`,
            `${vb.type}: ${(e as Error).message}.`,
            at,
          ),
        );
        continue;
      }
    }
    let value: Value | undefined = vb.default;
    let source = 'its default';
    try {
      const envRaw = env[`TF_VAR_${vb.name}`];
      if (envRaw !== undefined) {
        source = `TF_VAR_${vb.name}`;
        value = parseRaw(envRaw, vb, source);
      }
      if (inputs.fileVars && Object.prototype.hasOwnProperty.call(inputs.fileVars, vb.name)) {
        source = 'a variable file';
        value = inputs.fileVars[vb.name]!;
      }
      if (Object.prototype.hasOwnProperty.call(cli, vb.name)) {
        source = `-var ${vb.name}=...`;
        value = parseRaw(cli[vb.name]!, vb, source);
      }
      if (value === undefined) {
        diagnostics.push(
          diag(
            'CONFIG_SCHEMA',
            `No value for required variable "${vb.name}"`,
            `Set it with -var ${vb.name}=VALUE or the environment variable TF_VAR_${vb.name}, or give the variable a default.`,
            at,
          ),
        );
        continue;
      }
      setKey(values, vb.name, convert(value, type));
    } catch (e) {
      // The value itself is not echoed: the variable may be sensitive.
      diagnostics.push(
        diag(
          'CONFIG_SCHEMA',
          `Invalid value for variable "${vb.name}"`,
          `The value from ${source} does not fit type ${vb.type ?? 'any'}: ${(e as Error).message}.`,
          at,
        ),
      );
    }
  }
  return { values, diagnostics };
}

/** Read variable files as Terraform does: terraform.tfvars(.json), then *.auto.tfvars(.json) in
 * name order, then each `-var-file` in the order given; later files win. Values must be
 * literals. Returns typed values for VariableInputs.fileVars. */
export async function loadVarFiles(
  dir: string,
  varFiles: string[] = [],
  /** `auto: false`: only `varFiles` (cmek init -backend-config=FILE reads its file this way). */
  opts: { auto?: boolean } = {},
): Promise<{ values: Record<string, Value>; diagnostics: Diagnostic[] }> {
  const abs = resolve(dir);
  const values: Record<string, Value> = {};
  const diagnostics: Diagnostic[] = [];
  const origins = new Map<string, { file: string; line: number }>();
  fileVarOrigins.set(values, origins);
  let names: string[] = [];
  try {
    names = await readdir(abs);
  } catch {
    // A missing directory is reported by loadConfig; there are simply no automatic files.
  }
  const auto =
    opts.auto === false
      ? []
      : [
          ...['terraform.tfvars', 'terraform.tfvars.json'].filter((f) => names.includes(f)),
          ...names.filter((f) => /\.auto\.tfvars(\.json)?$/.test(f)).sort(),
        ];
  for (const f of [...auto, ...varFiles]) {
    const full = isAbsolute(f) ? f : resolve(abs, f);
    const file = relative(abs, full) || f;
    let text: string;
    try {
      text = await readFile(full, 'utf8');
    } catch (e) {
      diagnostics.push(
        diag(
          'CONFIG_SYNTAX',
          `Cannot read variable file ${file}`,
          `${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
          { file },
        ),
      );
      continue;
    }
    if (f.endsWith('.json')) {
      try {
        const doc = JSON.parse(text) as unknown;
        if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
          throw new Error('the top level must be an object');
        for (const [k, x] of Object.entries(doc)) {
          setKey(values, k, x as Value);
          origins.set(k, { file, line: jsonKeyLine(text, k) });
        }
      } catch (e) {
        diagnostics.push(
          diag('CONFIG_SYNTAX', `Invalid JSON in ${file}`, (e as Error).message, { file, line: 1 }),
        );
      }
      continue;
    }
    const parsed = parseHclFile(file, text);
    if (parsed.diagnostics.length) {
      diagnostics.push(...parsed.diagnostics);
      continue;
    }
    for (const [name, raw] of Object.entries(parsed.doc)) {
      const pos = { file, line: parsed.index.lineOf([name]) ?? 1 };
      const found: Diagnostic[] = [];
      const e = raw instanceof ParsedExpr ? raw : jsonExpr(raw, pos, found);
      if (raw instanceof ParsedExpr) found.push(...raw.diagnostics);
      if (e.refs.length) {
        diagnostics.push(
          diag(
            'CONFIG_REFERENCE',
            `Variables not allowed in ${file}`,
            `"${name}" refers to ${e.refs.join(', ')}; variable files hold literal values only.`,
            pos,
          ),
        );
        continue;
      }
      if (found.some((d) => d.severity === 'error')) {
        diagnostics.push(...found);
        continue;
      }
      try {
        setKey(values, name, e.evaluate(mapScope(abs, {})));
        origins.set(name, pos);
      } catch (err) {
        if (err instanceof DiagnosticError) diagnostics.push(...err.diagnostics);
        else throw err;
      }
    }
  }
  return { values, diagnostics };
}

/** Line of a top-level key of a JSON variable file (1 when it cannot be told). */
function jsonKeyLine(text: string, key: string): number {
  const at = text.indexOf(JSON.stringify(key));
  return at < 0 ? 1 : text.slice(0, at).split('\n').length;
}
