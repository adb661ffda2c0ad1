// `cmek console [-var K=V] [-var-file F]`: read expressions from stdin, one a line, and print
// each value the way `terraform console` does, evaluated in the configuration's scope:
// variables (defaults, tfvars, -var), locals, and resource attributes from the state (a resource
// not created yet is `(known after apply)`). Errors are diagnostics; the exit code is 1 if any
// line failed. Works without a terminal (`echo 'var.region' | cmek console`).
import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import { parseExpression } from '../../engine/config/expr.js';
import type { EvalScope } from '../../engine/config/types.js';
import { defaultDeps } from '../../engine/defaults.js';
import {
  expandModules,
  loadWorkspaceState,
  openWorkspace,
  resolveSettings,
  stateInstances,
} from '../../engine/index.js';
import { DiagnosticError, hasErrors, type Diagnostic } from '../../model/diagnostics.js';
import { Sensitive, Unknown, type Value } from '../../model/values.js';
import { printDiagnostics } from '../output.js';
import { addVarOptions, runVerb } from './engine-cli.js';

/** A value in terraform console's notation (2-space indent, quoted keys, trailing commas). */
export function consoleValue(v: Value | undefined, indent = ''): string {
  if (v === undefined || v === null) return 'null';
  if (v instanceof Unknown) return '(known after apply)';
  if (v instanceof Sensitive) return '(sensitive value)';
  if (typeof v === 'string') {
    if (!v.includes('\n')) return JSON.stringify(v);
    return `<<EOT\n${v.endsWith('\n') ? v : `${v}\n`}EOT`;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (!v.length) return '[]';
    return `[\n${v.map((x) => `${inner}${consoleValue(x, inner)},\n`).join('')}${indent}]`;
  }
  const keys = Object.keys(v).sort();
  if (!keys.length) return '{}';
  return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)} = ${consoleValue(v[k], inner)}\n`).join('')}${indent}}`;
}

export function register(program: Command): void {
  const cmd = program
    .command('console')
    .description('Evaluate expressions read from stdin (one a line) in the configuration scope');
  addVarOptions(cmd);
  cmd.action((flags: { var: Record<string, string>; varFile: string[] }) =>
    runVerb(async () => {
      const ws = await openWorkspace();
      if (hasErrors(ws.diagnostics)) throw new DiagnosticError(ws.diagnostics);
      const s = await resolveSettings(ws, defaultDeps, {
        cliVars: flags.var,
        varFiles: flags.varFile,
      });
      if (hasErrors(s.diagnostics)) throw new DiagnosticError(s.diagnostics);
      // MODULES: module instances' resources and `module.NAME` values (locals, expand.ts).
      const expanded = expandModules(ws.config, s.variables);
      if (hasErrors(expanded)) throw new DiagnosticError(expanded);
      const loaded = await loadWorkspaceState(ws);
      if (hasErrors(loaded.diagnostics)) throw new DiagnosticError(loaded.diagnostics);

      const table = new Map<string, () => Value>();
      for (const [name, value] of Object.entries(s.variables))
        table.set(`var.${name}`, () => value);
      const instances = stateInstances(loaded.state).filter((e) => !e.deposed);
      for (const r of ws.config.resources) {
        const mine = instances.filter((e) => e.block === r.address);
        table.set(r.address, () => {
          if (!mine.length) return r.count ? [] : new Unknown();
          if (mine.some((e) => e.index !== undefined))
            return mine.map((e) => e.instance.attributes as Value);
          return mine[0]!.instance.attributes as Value;
        });
      }
      const localCache = new Map<string, Value>();
      const scope: EvalScope = {
        baseDir: ws.dir,
        lookup: (root) => {
          if (/^module\.[A-Za-z_][\w-]*$/.test(root)) root = `local.${root}`;
          if (root.startsWith('local.') && !localCache.has(root)) {
            const l = ws.config.locals.find((x) => `local.${x.name}` === root);
            if (!l) return undefined;
            localCache.set(root, l.value.evaluate(scope));
          }
          if (localCache.has(root)) return localCache.get(root);
          return table.get(root)?.();
        },
        candidates: () => [...table.keys(), ...ws.config.locals.map((l) => `local.${l.name}`)],
      };

      let failed = false;
      let n = 0;
      const rl = createInterface({ input: process.stdin, terminal: false });
      for await (const line of rl) {
        n++;
        if (!line.trim()) continue;
        const diags: Diagnostic[] = [];
        const parsed = parseExpression(line, { file: '<console-input>', line: n });
        diags.push(...parsed.diagnostics);
        if (!hasErrors(diags)) {
          try {
            process.stdout.write(`${consoleValue(parsed.expr.evaluate(scope))}\n`);
          } catch (e) {
            if (!(e instanceof DiagnosticError)) throw e;
            diags.push(...e.diagnostics);
          }
        }
        if (diags.length) printDiagnostics(diags);
        if (hasErrors(diags)) failed = true;
      }
      process.exitCode = failed ? 1 : 0;
    }),
  );
}
