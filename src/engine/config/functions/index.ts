// Terraform's built-in function library: one table built from the families (one module each),
// the dispatch the evaluator calls (arity, null and unknown arguments handled here once, as
// terraform's function machinery does), and the list docs/configuration.md is generated from.

import { containsUnknown, isUnknown, UNKNOWN, type Value } from '../../../model/values.js';
import { fail, outOfRange, type EvalContext } from '../evaluate.js';
import { COLLECTION_FUNCTIONS } from './collection.js';
import { CONVERSION_FUNCTIONS } from './conversion.js';
import { CRYPTO_FUNCTIONS } from './crypto.js';
import { DATETIME_FUNCTIONS } from './datetime.js';
import { ENCODING_FUNCTIONS } from './encoding.js';
import { FILESYSTEM_FUNCTIONS } from './filesystem.js';
import { IPNET_FUNCTIONS } from './ipnet.js';
import { NUMERIC_FUNCTIONS } from './numeric.js';
import { RSA_FUNCTIONS } from './rsa.js';
import { STRING_FUNCTIONS } from './string.js';
import { argError, callError, family, type FunctionDef } from './support.js';
import { refusedInTemplate, TEMPLATE_STRING_FUNCTIONS } from './template.js';

export { terraformJson } from './json.js';
export { numberToString, parseNumber } from './support.js';
export { callLazy, LAZY_FUNCTIONS } from './conversion.js';
export type { FunctionDef } from './support.js';
export { checkTemplateArgument } from './template.js';

// The marks themselves are set and taken off by the evaluator (evaluate.ts, `call`).
const SENSITIVITY_FUNCTIONS = family('sensitivity', {
  sensitive: [
    'sensitive(value)',
    'the value marked sensitive (see [Sensitive values](#sensitive-values))',
    ([v]) => v!,
    { nullOk: true, unknownOk: true },
  ],
  nonsensitive: [
    'nonsensitive(value)',
    'the value with its sensitive mark taken off',
    ([v]) => v!,
    { nullOk: true, unknownOk: true },
  ],
  issensitive: [
    'issensitive(value)',
    'whether the value is marked sensitive',
    () => false,
    { nullOk: true, unknownOk: true },
  ],
});

/** The families in the order the docs list them. */
export const FUNCTION_FAMILIES: ReadonlyArray<[title: string, defs: Record<string, FunctionDef>]> =
  [
    ['String', { ...STRING_FUNCTIONS, ...TEMPLATE_STRING_FUNCTIONS }],
    ['Collection', COLLECTION_FUNCTIONS],
    ['Type conversion', CONVERSION_FUNCTIONS],
    ['Encoding', ENCODING_FUNCTIONS],
    ['Filesystem', FILESYSTEM_FUNCTIONS],
    ['Date and time', DATETIME_FUNCTIONS],
    ['Hash and crypto', { ...CRYPTO_FUNCTIONS, ...RSA_FUNCTIONS }],
    ['IP network', IPNET_FUNCTIONS],
    ['Numeric', NUMERIC_FUNCTIONS],
    ['Sensitivity', SENSITIVITY_FUNCTIONS],
  ];

const FUNCTIONS = new Map<string, FunctionDef>(
  FUNCTION_FAMILIES.flatMap(([, defs]) => Object.entries(defs)),
);

/** Every function name cmek implements. */
export const FUNCTION_NAMES: ReadonlySet<string> = new Set(FUNCTIONS.keys());

/** Terraform's functions cmek does not implement, and why (the load diagnostic says it). */
export const UNIMPLEMENTED_FUNCTIONS: Readonly<Record<string, string>> = {
  bcrypt: 'its result is random by design (a new salt at every run), so no plan could be stable',
  ephemeralasnull: 'cmek has no ephemeral values',
  type: 'it exists only in `terraform console`',
};

export function callFunction(name: string, args: Value[], ctx: EvalContext, line: number): Value {
  const f = FUNCTIONS.get(name);
  if (!f)
    return fail(
      ctx,
      line,
      'CONFIG_UNSUPPORTED',
      `The function ${name}() is not supported`,
      UNIMPLEMENTED_FUNCTIONS[name] ?? 'There is no function with this name.',
    );
  if (args.length < f.min || args.length > f.max) {
    const many = args.length > f.max;
    const want =
      f.max === Infinity
        ? `at least ${f.min}`
        : f.min === f.max
          ? `${f.min}`
          : `${f.min} to ${f.max}`;
    return fail(
      ctx,
      line,
      'CONFIG_FUNCTION',
      many ? 'Too many function arguments' : 'Not enough function arguments',
      `Function "${name}" expects ${want} argument(s): ${f.signature}.`,
    );
  }
  const c = { ctx, line, name, params: f.params };
  const refused = refusedInTemplate(name, ctx);
  if (refused) return callError(c, refused);
  if (!f.nullOk)
    for (const [i, a] of args.entries())
      if (a === null) return argError(c, i, 'argument must not be null');
  if (!f.unknownOk && args.some(isUnknown)) return UNKNOWN;
  if (!f.unknownOk && !f.innerUnknownOk && args.some(containsUnknown)) return UNKNOWN;
  const result = f.impl(args, c);
  if (typeof result === 'number' && !Number.isFinite(result)) return outOfRange(ctx, line);
  return result;
}
