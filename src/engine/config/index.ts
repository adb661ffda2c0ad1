// Public API of the configuration layer (docs/configuration.md). The engine, the policy
// adapters and the CLI import only from here; the modules behind it may move.
export type * from './types.js';
export { loadConfig, type LoadOptions } from './load.js';
export {
  resolveVariables,
  loadVarFiles,
  parseType,
  convert as convertToType,
  type TypeSpec,
  type VariableInputs,
  type VariableResult,
} from './variables.js';
export {
  parseExpression,
  parseTemplate,
  literalExpr,
  mapScope,
  ParsedExpr,
  type ParseResult,
} from './expr.js';
export { SUPPORTED_FUNCTIONS } from './ast.js';
