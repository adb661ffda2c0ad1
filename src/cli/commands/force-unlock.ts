// `cmek force-unlock ID [-force] [--data-dir DIR]`: remove a lock left by a run that died. The
// ID is the one a "locked" message reports: the state lock's, a data-directory lock's (a
// service, the service names, the provider-managed keys), the local KMS keystore's, or the
// `unreadable-…` ID reported for a lock file that holds no readable lock info. Only the lock
// with that ID is removed, so a lock taken meanwhile by another run is never broken. With the
// pg backend, the state lock is a PostgreSQL session: its holder's session is ended.
import type { Command } from 'commander';
import { join } from 'node:path';
import pc from 'picocolors';
import { LocalBackend, openWorkspace } from '../../engine/index.js';
import { diag } from '../../model/diagnostics.js';
import { lockPath, unlockMismatch, unlockPath, type UnlockResult } from '../../engine/lock.js';
import { KEYSTORE_LOCK } from '../../kms/local/constants.js';
import { localKmsDir } from '../../resources/context.js';
import { dataDirLockPaths } from '../../service/fsutil.js';
import { requireDirectory } from '../output.js';
import { confirm, finish, runVerb } from './engine-cli.js';
import { cliSettings } from './service.js';

/** The lock files of the data directory and the local KMS a cmek command may hold. */
async function candidateLocks(dataDir: string): Promise<string[]> {
  return [...(await dataDirLockPaths(dataDir)), join(localKmsDir(dataDir), KEYSTORE_LOCK)];
}

export function register(program: Command): void {
  program
    .command('force-unlock')
    .description('Remove the lock with the given ID (from the STATE_LOCKED or lock message)')
    .argument('<id>', 'the lock ID')
    .option('--force', 'do not ask for confirmation')
    .option(
      '--data-dir <dir>',
      "data directory whose locks to search too (default: the provider block's data_dir, else .cmek)",
    )
    .action((id: string, flags: { force?: boolean; dataDir?: string }) =>
      runVerb(async () => {
        const ws = await openWorkspace();
        // A bad --data-dir is reported before asking anything.
        if (flags.dataDir !== undefined)
          await requireDirectory(flags.dataDir, 'the data directory');
        const settings = await cliSettings(
          flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {},
        );
        if (!flags.force) {
          const ok = await confirm(
            'Do you really want to force-unlock?',
            'cmek will remove the lock. This will allow local cmek commands to modify\n  this state, even though it may still be in use.',
            '-force',
          );
          if (!ok) {
            process.stderr.write('force-unlock cancelled.\n');
            process.exitCode = 1;
            return;
          }
        }
        // The local backend's state lock is a file like the others; a pg backend's is a
        // PostgreSQL session, ended by the backend (docs/backends.md).
        const local = ws.backend instanceof LocalBackend;
        const remote = local ? undefined : await ws.backend.forceUnlock(ws.workspace, id);
        if (remote?.kind === 'removed') {
          process.stdout.write(
            `${pc.green(pc.bold(`${remote.what} has been successfully unlocked!`))}\n`,
          );
          finish([]);
          return;
        }
        const paths = [
          ...(local ? [lockPath(ws.statePath)] : []),
          ...(await candidateLocks(settings.dataDir)),
        ];
        const looked: UnlockResult[] = [];
        for (const p of paths) {
          const r = unlockPath(p, id);
          if (r.kind === 'removed') {
            const what = p === lockPath(ws.statePath) ? 'cmek state' : `lock ${p}`;
            process.stdout.write(
              `${pc.green(pc.bold(`${what} has been successfully unlocked!`))}\n`,
            );
            finish([]);
            return;
          }
          looked.push(r);
        }
        if (remote?.kind === 'mismatch')
          return finish([
            diag('USAGE', `Lock ID "${id}" does not match the existing lock`, remote.detail),
          ]);
        finish([
          unlockMismatch(id, looked, [
            local ? lockPath(ws.statePath) : ws.statePath,
            settings.dataDir,
          ]),
        ]);
      }),
    );
}
