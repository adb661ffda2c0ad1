// Rendering a template with a map of variables, shared by templatefile (a file's text) and
// templatestring (a string value found elsewhere), and templatestring's rule for its first
// argument: it must be a direct reference (`local.t`, `var.x.t`, `local.ts[0]`), never a
// literal or an inline template, exactly as terraform refuses them.

import { DiagnosticError } from '../../../model/diagnostics.js';
import { isUnknown, type Value } from '../../../model/values.js';
import { Parser, type Node, type ParseSink } from '../ast.js';
import { evaluateNode, type EvalContext } from '../evaluate.js';
import { argError, callError, family, map, numberToString, type Call } from './support.js';

/** Functions that read files, refused inside a templatestring template (as terraform does). */
const FILE_READING = new Set([
  'file',
  'fileexists',
  'fileset',
  'filebase64',
  'filebase64sha256',
  'filebase64sha512',
  'filemd5',
  'filesha1',
  'filesha256',
  'filesha512',
  'templatefile',
]);
const TEMPLATE_FUNCTIONS = new Set(['templatefile', 'templatestring']);

/** Why `name` cannot be called inside the template being rendered, if it cannot. */
export function refusedInTemplate(name: string, ctx: EvalContext): string | undefined {
  if (!ctx.template) return undefined;
  if (TEMPLATE_FUNCTIONS.has(name))
    return `cannot recursively call ${name} from inside another template function`;
  if (ctx.template === 'string' && FILE_READING.has(name))
    return `cannot use filesystem access functions like ${name} in templatestring templates; consider passing the function result as a template variable instead`;
  return undefined;
}

const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_-]*$/u;

/** `src` rendered as a template whose only names are the keys of `vars`. `where` names the
 * template in errors (a file path, or `<templatestring argument>`). */
export function renderTemplate(
  src: string,
  where: string,
  vars: Record<string, Value>,
  c: Call,
  kind: 'file' | 'string',
  file: string,
): Value {
  for (const k of Object.keys(vars))
    if (!IDENTIFIER.test(k))
      return argError(
        c,
        1,
        `invalid template variable name "${k}": must start with a letter, followed by zero or more letters, digits, and underscores`,
      );
  const sink: ParseSink = { file: where, diagnostics: [], refs: new Set() };
  const node = new Parser(src, 1, sink, { bareNames: true }).parseWholeTemplate();
  const errors = sink.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    const text = `${where}: ${errors.map((d) => `${d.summary}: ${d.detail}`).join('; ')}`;
    return kind === 'string' ? argError(c, 0, `invalid template: ${text}`) : callError(c, text);
  }
  const scope = {
    baseDir: c.ctx.scope.baseDir,
    lookup: (root: string) => {
      const [head, ...rest] = root.split('.');
      if (!Object.prototype.hasOwnProperty.call(vars, head!)) return undefined;
      let v: Value = vars[head!]!;
      for (const r of rest)
        v =
          v !== null && typeof v === 'object' && !Array.isArray(v)
            ? ((v as Record<string, Value>)[r] ?? null)
            : null;
      return v;
    },
    candidates: () => Object.keys(vars),
  };
  try {
    return evaluateNode(node, { scope, file, template: kind });
  } catch (e) {
    if (e instanceof DiagnosticError)
      return callError(
        c,
        `${where}:${e.diagnostics[0]?.line ?? 1}: ${e.diagnostics.map((d) => `${d.summary}: ${d.detail}`).join('; ')}`,
      );
    throw e;
  }
}

/** Whether a templatestring template argument is a reference terraform accepts. */
function isReference(n: Node): boolean {
  switch (n.k) {
    case 'ref':
      return true;
    case 'attr':
    case 'index':
    case 'splat':
      return isReference(n.obj);
    default:
      return false;
  }
}

/** Terraform's refusal of a templatestring first argument that is not a direct reference
 * (checked on the syntax, before anything is evaluated). */
export function checkTemplateArgument(n: Node, c: Call): void {
  const why =
    n.k === 'tmpl' && n.parts.length === 1 && typeof n.parts[0] !== 'string'
      ? 'templatestring is only for rendering templates retrieved dynamically from elsewhere; to treat the inner expression as template syntax, write the reference expression directly without any template interpolation syntax'
      : (n.k === 'lit' && typeof n.v === 'string') ||
          (n.k === 'tmpl' && n.parts.every((p) => typeof p === 'string'))
        ? 'templatestring is only for rendering templates retrieved dynamically from elsewhere, and so does not support providing a literal template; consider using a template string expression instead'
        : n.k === 'tmpl'
          ? 'templatestring is only for rendering templates retrieved dynamically from elsewhere; to render an inline template, consider using a plain template string expression'
          : isReference(n)
            ? undefined
            : 'must be a direct reference to a single string from elsewhere, containing valid Terraform template syntax';
  if (why) argError(c, 0, `invalid template expression: ${why}`);
}

export const TEMPLATE_STRING_FUNCTIONS = family('string', {
  templatestring: [
    'templatestring(template, vars)',
    'a string found elsewhere (given as a reference: `local.t`, `var.x`) rendered as a template with the variables of the map `vars`; file functions are refused inside it',
    ([t, v], c) => {
      if (typeof t !== 'string')
        return argError(c, 0, 'invalid template value: a string is required');
      if (v === null) return argError(c, 1, 'argument must not be null');
      if (Array.isArray(v) || typeof v !== 'object')
        return argError(c, 1, 'invalid vars value: must be a map');
      const where = '<templatestring argument>';
      const r = renderTemplate(t, where, map(v, c, 1), c, 'string', c.ctx.file);
      if (r === null)
        return callError(
          c,
          `${where}: Template result is null; The result of the template is null, which is not a valid result for a templatestring call.`,
        );
      if (typeof r === 'number') return numberToString(r);
      if (typeof r === 'boolean') return String(r);
      if (typeof r !== 'string' && !isUnknown(r))
        return callError(c, 'invalid template result: string required');
      return r;
    },
    { nullOk: true },
  ],
});
