// `cmek workspace new|select|list|show|delete`: several states for one configuration, in the
// backend the configuration uses (local: terraform.tfstate.d/NAME/, pg: one row per workspace).
// The selection is recorded in .cmek/backend/environment; TF_WORKSPACE overrides it
// (docs/cli/workspace.md).
import type { Command } from 'commander';
import pc from 'picocolors';
import {
  DEFAULT_WORKSPACE,
  isBackendDiagnostic,
  selectWorkspace,
  workspaceNameProblem,
} from '../../engine/backend/index.js';
import {
  emptyState,
  ENGINE_VERSION,
  openWorkspace,
  parseState,
  serializeState,
  type Workspace,
} from '../../engine/index.js';
import { diag, DiagnosticError, hasErrors } from '../../model/diagnostics.js';
import { addLockOptions, finish, lockTimeoutMs, runVerb } from './engine-cli.js';

function fail(summary: string, detail: string): never {
  throw new DiagnosticError(diag('WORKSPACE_ERROR', summary, detail));
}

/** The working directory with a usable backend (init done, reachable). */
async function open(): Promise<Workspace> {
  const ws = await openWorkspace();
  const bad = ws.diagnostics.filter(isBackendDiagnostic);
  if (hasErrors(bad)) throw new DiagnosticError(bad);
  return ws;
}

function checkName(name: string): void {
  const problem = workspaceNameProblem(name);
  if (problem) fail(`Invalid workspace name "${name}"`, problem);
}

function notOverridden(): void {
  if (process.env.TF_WORKSPACE)
    fail(
      'The selected workspace is overridden by TF_WORKSPACE',
      `TF_WORKSPACE=${process.env.TF_WORKSPACE} chooses the workspace for every command; unset it to select one with cmek workspace select.`,
    );
}

export function register(program: Command): void {
  const wsCmd = program.command('workspace').description('Manage workspaces (several states)');

  wsCmd
    .command('list')
    .description('List the workspaces; * marks the selected one')
    .action(() =>
      runVerb(async () => {
        const ws = await open();
        const names = await ws.backend.workspaces();
        if (!names.includes(ws.workspace)) names.push(ws.workspace);
        for (const n of names) process.stdout.write(`${n === ws.workspace ? '* ' : '  '}${n}\n`);
        finish([]);
      }),
    );

  wsCmd
    .command('show')
    .description('Print the selected workspace')
    .action(() =>
      runVerb(async () => {
        const ws = await open();
        process.stdout.write(`${ws.workspace}\n`);
        finish([]);
      }),
    );

  const create = wsCmd
    .command('new')
    .description('Create a workspace and select it')
    .argument('<name>', 'workspace name');
  addLockOptions(create);
  create.action((name: string) =>
    runVerb(async () => {
      checkName(name);
      notOverridden();
      const ws = await open();
      if ((await ws.backend.workspaces()).includes(name))
        fail(`Workspace "${name}" already exists`, `Select it with: cmek workspace select ${name}`);
      await ws.backend.createWorkspace(name, serializeState(emptyState()));
      selectWorkspace(ws.dir, name);
      process.stdout.write(
        `${pc.green(pc.bold(`Created and switched to workspace "${name}"!`))}\n\n` +
          "You're now on a new, empty workspace. Workspaces isolate their state,\n" +
          'so if you run "cmek plan" cmek will not see any existing state\nfor this configuration.\n',
      );
      finish([]);
    }),
  );

  wsCmd
    .command('select')
    .description('Select a workspace')
    .argument('<name>', 'workspace name')
    .option('--or-create', 'create the workspace if it does not exist')
    .action((name: string, flags: { orCreate?: boolean }) =>
      runVerb(async () => {
        checkName(name);
        notOverridden();
        const ws = await open();
        const names = await ws.backend.workspaces();
        if (!names.includes(name)) {
          if (!flags.orCreate)
            fail(
              `Workspace "${name}" doesn't exist`,
              `The workspaces are: ${names.join(', ')}. Create it with: cmek workspace new ${name}`,
            );
          await ws.backend.createWorkspace(name, serializeState(emptyState()));
        }
        selectWorkspace(ws.dir, name);
        process.stdout.write(`${pc.green(`Switched to workspace "${name}".`)}\n`);
        finish([]);
      }),
    );

  const del = wsCmd
    .command('delete')
    .description('Delete a workspace and its state (refused while it tracks resources)')
    .argument('<name>', 'workspace name')
    .option('--force', 'delete even if the state still tracks resources (they are NOT destroyed)');
  addLockOptions(del);
  del.action((name: string, flags: { force?: boolean; lockTimeout?: string }) =>
    runVerb(async () => {
      checkName(name);
      const ws = await open();
      if (name === DEFAULT_WORKSPACE)
        fail('Cannot delete the default workspace', 'The default workspace always exists.');
      if (name === ws.workspace)
        fail(
          `Workspace "${name}" is your active workspace`,
          'You cannot delete the currently active workspace: select another one first.',
        );
      if (!(await ws.backend.workspaces()).includes(name))
        fail(`Workspace "${name}" doesn't exist`, 'See the workspaces with: cmek workspace list');
      const lock = await ws.backend.lock(name, {
        operation: 'OperationTypeWorkspaceDelete',
        timeoutMs: lockTimeoutMs(flags.lockTimeout),
        version: ENGINE_VERSION,
      });
      try {
        const text = await ws.backend.read(name);
        const loaded = parseState(text, ws.backend.describe(name));
        const count = loaded.state?.resources.length ?? 0;
        if ((count > 0 || hasErrors(loaded.diagnostics)) && !flags.force)
          fail(
            `Workspace "${name}" is not empty`,
            `Its state still tracks ${count} resource(s). Destroy them first (cmek workspace select ${name}; cmek destroy), ` +
              'or pass -force to delete the workspace anyway: the resources are NOT destroyed, cmek just stops tracking them.',
          );
        await ws.backend.deleteWorkspace(name);
      } finally {
        await lock.release();
      }
      process.stdout.write(`${pc.green(`Deleted workspace "${name}"!`)}\n`);
      finish([]);
    }),
  );
}
