// `cmek init [-backend-config=KEY=VALUE|FILE]... [-migrate-state] [-reconfigure] [-force-copy]`:
// set up the state backend the configuration declares (local files or PostgreSQL) and record it
// so later verbs use it; with -migrate-state, copy the states of the previous backend into it
// (docs/cli/init.md, docs/backends.md).
import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import pc from 'picocolors';
import { initBackend } from '../../engine/backend/init.js';
import {
  BACKEND_SETTINGS,
  configuredBackend,
  type BackendValues,
  type ConfiguredBackend,
} from '../../engine/backend/index.js';
import { loadVarFiles } from '../../engine/config/index.js';
import { engineDeps, ENGINE_VERSION } from '../../engine/index.js';
import { diag, DiagnosticError, hasErrors } from '../../model/diagnostics.js';
import { addLockOptions, finish, lockTimeoutMs, runVerb } from './engine-cli.js';

const collect = (v: string, prev: string[]) => [...prev, v];

/** -backend-config values: KEY=VALUE pairs and files of `key = value` lines, in order. */
async function backendConfig(
  dir: string,
  configured: ConfiguredBackend,
  items: string[],
): Promise<BackendValues> {
  const known = BACKEND_SETTINGS[configured.type];
  const out: BackendValues = {};
  const put = (k: string, v: unknown, where: string) => {
    const kind = known[k];
    if (!kind)
      throw new DiagnosticError(
        diag(
          'USAGE',
          `Invalid -backend-config key "${k}" (${where})`,
          `Backend "${configured.type}" takes: ${Object.keys(known).join(', ')}.`,
        ),
      );
    if (kind === 'bool') {
      if (v === true || v === 'true') out[k] = true;
      else if (v === false || v === 'false') out[k] = false;
      else
        throw new DiagnosticError(
          diag('USAGE', `Invalid -backend-config value for ${k}`, `${k} takes true or false.`),
        );
    } else if (typeof v === 'string') out[k] = v;
    else
      throw new DiagnosticError(
        diag('USAGE', `Invalid -backend-config value for ${k}`, `${k} takes a string.`),
      );
  };
  for (const item of items) {
    const eq = item.indexOf('=');
    const file = resolve(dir, item);
    if (eq < 0 || (existsSync(file) && statSync(file).isFile())) {
      if (!existsSync(file))
        throw new DiagnosticError(
          diag(
            'USAGE',
            `Invalid -backend-config "${item}"`,
            'Pass KEY=VALUE (e.g. -backend-config=conn_str=postgres://...) or the path of a file ' +
              'of key = "value" lines.',
          ),
        );
      const r = await loadVarFiles(dir, [item], { auto: false });
      if (hasErrors(r.diagnostics)) throw new DiagnosticError(r.diagnostics);
      for (const [k, v] of Object.entries(r.values)) put(k, v, item);
    } else put(item.slice(0, eq).trim(), item.slice(eq + 1), 'command line');
  }
  return out;
}

export function register(program: Command): void {
  const cmd = program
    .command('init')
    .description('Set up the state backend of the configuration (local files or PostgreSQL)')
    .option(
      '--backend-config <KEY=VALUE|FILE>',
      'a backend setting, or a file of them, that completes the backend block (repeatable)',
      collect,
      [] as string[],
    )
    .option('--migrate-state', 'copy the states of the previous backend into the new one')
    .option('--reconfigure', 'use the configured backend as it is, without copying any state')
    .option('--force-copy', 'with -migrate-state: overwrite a different state at the destination');
  addLockOptions(cmd);
  cmd.action(
    (flags: {
      backendConfig: string[];
      migrateState?: boolean;
      reconfigure?: boolean;
      forceCopy?: boolean;
      lockTimeout?: string;
    }) =>
      runVerb(async () => {
        if (flags.migrateState && flags.reconfigure)
          throw new DiagnosticError(
            diag(
              'USAGE',
              '-migrate-state and -reconfigure are mutually exclusive',
              'Pass -migrate-state to copy the states, or -reconfigure to leave them behind.',
            ),
          );
        const dir = process.cwd();
        const { config, diagnostics } = await (await engineDeps()).loadConfig(dir);
        if (hasErrors(diagnostics)) return finish(diagnostics);
        const configured = configuredBackend(config.backend);
        const extra = await backendConfig(dir, configured, flags.backendConfig);
        process.stdout.write(`${pc.bold('Initializing the backend...')}\n`);
        const r = await initBackend({
          dir,
          configured,
          extra,
          ...(flags.migrateState ? { migrateState: true } : {}),
          ...(flags.reconfigure ? { reconfigure: true } : {}),
          ...(flags.forceCopy ? { forceCopy: true } : {}),
          lockTimeoutMs: lockTimeoutMs(flags.lockTimeout),
          version: ENGINE_VERSION,
        });
        for (const ws of r.migrated)
          process.stdout.write(`Copied the state of workspace "${ws}" into backend "${r.type}".\n`);
        if (r.changed)
          process.stdout.write(
            `\n${pc.green(`Successfully configured the backend "${r.type}"!`)} cmek will ` +
              'automatically use this backend unless the backend configuration changes.\n',
          );
        process.stdout.write(`\n${pc.green(pc.bold('cmek has been successfully initialized!'))}\n`);
        finish(diagnostics);
      }),
  );
}
