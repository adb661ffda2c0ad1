// `cmek kms ls|describe|create|disable|enable|rotate|schedule-deletion|cancel-deletion|purge`:
// operate the local KMS under `<data-dir>/kms`. Parsing and printing only; the work is
// the local KMS's (src/kms/local).
//
// Coordination: this file owns the `kms` command. `kms serve` lives in ./kms-serve.ts, whose
// register() looks the `kms` command up by name and adds `serve` to it; so `register` below
// must run before it in COMMANDS (src/cli/program.ts). `kmsCommand(program)` returns the
// (possibly new) `kms` command for any other file that wants to add a subcommand.
import { Command, InvalidArgumentError } from 'commander';
import { join } from 'node:path';
import pc from 'picocolors';
import { diag, DiagnosticError } from '../../model/diagnostics.js';
import {
  LOCAL_ROOT_PRINCIPAL,
  openLocalKms,
  type LocalKeyMetadata,
  type LocalKmsClient,
} from '../../kms/local/index.js';
import { cliSettings } from './service.js';
import { isKmsError, type KmsErrorCode, type RotationStatus } from '../../kms/types.js';
import { readingFile } from '../output.js';

interface CommonOptions {
  dataDir?: string;
  json?: boolean;
  principal: string;
}

/** The `kms` command, created on first use. */
export function kmsCommand(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'kms') ??
    program
      .command('kms')
      .description('Operate the local KMS (keys under <data-dir>/kms) and serve it over HTTP')
  );
}

export function register(program: Command): void {
  const kms = kmsCommand(program);

  verb(kms, 'ls', 'List keys: id, region, state, primary version, aliases').action(
    run(async (c, o) => {
      const keys = await c.listKeys();
      if (o.json) return printJson(keys.map(jsonKey));
      printTable(keys);
    }),
  );

  verb(kms, 'describe', 'Show a key: metadata, versions, rotation, aliases, policy')
    .argument('<key>', 'key id, key ARN, alias name/ARN or GCP key name')
    .option('--policy', 'also print the key policy')
    .action(
      run(async (c, o: CommonOptions & { policy?: boolean }, key: string) => {
        const md = await c.describeKey(key);
        // Rotation status and policy need their own permissions; show what this principal sees.
        const rotation = await optional(() => c.getKeyRotationStatus(key));
        const policy = o.policy ? await optional(() => c.getKeyPolicy(key)) : undefined;
        if (o.json)
          return printJson({
            ...jsonKey(md),
            ...(rotation ? { rotation: jsonRotation(rotation) } : {}),
            ...(policy !== undefined ? { policy: JSON.parse(policy) as unknown } : {}),
          });
        printKey(md, rotation, policy);
      }),
    );

  verb(kms, 'create', 'Create a key (the resource cmek_kms_key does this in configurations)')
    .requiredOption('--region <region>', 'AWS region, or GCP location with --key-ring')
    .option('--description <text>', 'description', '')
    .option('--alias <alias/NAME>', 'also create this alias')
    .option('--multi-region', 'multi-region key (mrk- id)')
    .option('--key-ring <ring>', 'GCP-style key in this key ring (needs --name)')
    .option('--name <name>', 'crypto key name for --key-ring')
    .option('--enable-key-rotation', 'rotate automatically')
    .option('--rotation-period-in-days <n>', 'automatic rotation period (90-2560)', int)
    .option('--policy-file <file>', 'key policy JSON (default: the account-root policy)')
    .action(
      run(
        async (
          c,
          o: CommonOptions & {
            region: string;
            description: string;
            alias?: string;
            multiRegion?: boolean;
            keyRing?: string;
            name?: string;
            enableKeyRotation?: boolean;
            rotationPeriodInDays?: number;
            policyFile?: string;
          },
        ) => {
          const { readFile } = await import('node:fs/promises');
          const md = await c.createKey({
            region: o.region,
            description: o.description,
            ...(o.multiRegion ? { multiRegion: true } : {}),
            ...(o.keyRing ? { keyRing: o.keyRing } : {}),
            ...(o.name ? { name: o.name } : {}),
            ...(o.enableKeyRotation ? { enableKeyRotation: true } : {}),
            ...(o.rotationPeriodInDays ? { rotationPeriodInDays: o.rotationPeriodInDays } : {}),
            ...(o.policyFile
              ? {
                  policy: await readingFile(o.policyFile, 'the policy file', () =>
                    readFile(o.policyFile!, 'utf8'),
                  ),
                }
              : {}),
          });
          if (o.alias) await c.createAlias(o.alias, md.keyId);
          done(o, await c.describeKey(md.arn), `Created ${md.arn}`);
        },
      ),
    );

  for (const [name, what, call] of [
    [
      'disable',
      'Disable a key: services using it stop (clickhouse) or suspend (cloudsql)',
      'disableKey',
    ],
    ['enable', 'Enable a disabled key', 'enableKey'],
  ] as const) {
    verb(kms, name, what)
      .argument('<key>', 'key reference')
      .action(
        run(async (c, o, key: string) => {
          await c[call](key);
          const md = await c.describeKey(key);
          done(o, md, `${md.arn} is now ${md.keyState}`);
        }),
      );
  }

  verb(kms, 'rotate', 'Rotate a key now: a new primary version (old versions still decrypt)')
    .argument('<key>', 'key reference')
    .action(
      run(async (c, o, key: string) => {
        const md = await c.rotateKeyOnDemand(key);
        done(o, md, `${md.arn} rotated: primary version ${md.primaryVersion}`);
      }),
    );

  verb(
    kms,
    'schedule-deletion',
    'Schedule deletion after a waiting period (key unusable meanwhile)',
  )
    .argument('<key>', 'key reference')
    .option('--pending-window-in-days <n>', 'waiting period, 7-30 days', int, 30)
    .action(
      run(async (c, o: CommonOptions & { pendingWindowInDays: number }, key: string) => {
        const md = await c.scheduleKeyDeletion(key, o.pendingWindowInDays);
        done(
          o,
          md,
          `${md.arn} is pending deletion; its material is destroyed on ` +
            `${md.deletionDate?.toISOString()} (cancel with: cmek kms cancel-deletion ${key}; ` +
            `complete now with: cmek kms purge)`,
        );
      }),
    );

  verb(kms, 'cancel-deletion', 'Cancel a scheduled deletion (the key is left Disabled, as on AWS)')
    .argument('<key>', 'key reference')
    .action(
      run(async (c, o, key: string) => {
        const md = await c.cancelKeyDeletion(key);
        done(
          o,
          md,
          `${md.arn} deletion cancelled; the key is ${md.keyState} (cmek kms enable ${key})`,
        );
      }),
    );

  verb(
    kms,
    'purge',
    'Local only: complete every pending deletion now, destroying the key material for good',
  ).action(
    run(async (c, o) => {
      const r = await c.purge();
      if (o.json) return printJson(r);
      if (!r.destroyed.length && !r.skipped?.length) {
        process.stdout.write('No keys pending deletion.\n');
        return;
      }
      for (const arn of r.destroyed) process.stdout.write(`${pc.red('destroyed')} ${arn}\n`);
      for (const s of r.skipped ?? [])
        process.stdout.write(`${pc.yellow('skipped')}   ${s.arn}: ${s.reason}\n`);
      process.stdout.write(
        `${r.destroyed.length} key(s) destroyed: data and backups encrypted under them are now unrecoverable.\n`,
      );
    }),
  );
}

function verb(kms: Command, name: string, description: string): Command {
  return kms
    .command(name)
    .description(description)
    .option(
      '--data-dir <dir>',
      "data directory; the local KMS is DIR/kms (default: the provider block's data_dir, else .cmek)",
    )
    .option('--json', 'machine-readable output')
    .option(
      '--principal <arn>',
      'act as this principal (key policies apply)',
      LOCAL_ROOT_PRINCIPAL,
    );
}

/** Wrap an action: open the local KMS as the chosen principal; KMS errors become diagnostics. */
function run<O extends CommonOptions, A extends unknown[]>(
  fn: (client: LocalKmsClient, opts: O, ...args: A) => Promise<void>,
) {
  return async (...all: unknown[]) => {
    // commander passes: ...arguments, options, command
    const args = all.slice(0, -2) as A;
    const opts = all[all.length - 2] as O;
    const kms = await openCliLocalKms(opts.dataDir);
    try {
      await fn(kms.client(opts.principal), opts, ...args);
    } catch (e) {
      if (isKmsError(e)) throw new DiagnosticError(kmsDiagnostic(e.code, e.message));
      throw e;
    }
  };
}

/** The local KMS the `kms` verbs act on, found as plan/apply find it: `--data-dir`, else the
 * provider block's data_dir (see cliSettings), else `.cmek`. A configuration whose provider
 * uses AWS KMS has no local KMS: refuse rather than create a second, unrelated one. */
export async function openCliLocalKms(dataDir: string | undefined) {
  const settings = await cliSettings(dataDir === undefined ? {} : { dataDir });
  if (settings.kms.backend !== 'local')
    throw new DiagnosticError(
      diag(
        'USAGE',
        'The provider block uses AWS KMS: `cmek kms` operates the local KMS only',
        'Manage the keys with the AWS CLI or console, or pass --data-dir DIR to operate the ' +
          'local KMS of another data directory.',
      ),
    );
  return openLocalKms({ dir: join(settings.dataDir, 'kms') });
}

function kmsDiagnostic(code: KmsErrorCode, message: string) {
  const remedy: Partial<Record<KmsErrorCode, string>> = {
    NotFoundException: 'List the keys with `cmek kms ls` (and check --data-dir).',
    DisabledException: 'Enable the key with `cmek kms enable KEY`.',
    KMSInvalidStateException:
      'A key pending deletion can be recovered with `cmek kms cancel-deletion KEY`; a destroyed key cannot.',
    AccessDeniedException: 'The key policy does not allow this principal the action.',
    ValidationException: 'Check the arguments (see `cmek kms <verb> --help`).',
    LimitExceededException:
      'A key allows at most 10 on-demand rotations; enable automatic rotation instead.',
    KMSInternalException: 'The keystore could not be used; the message says why.',
  };
  // The local keystore does not match the root key in use (root.key lost or replaced, or
  // another CMEK_KMS_ROOT_KEY): retrying cannot help, only the original root key can.
  if (code === 'KMSInternalException' && /different root key/.test(message)) {
    return diag(
      'KMS_ERROR',
      `${code}: ${message}`,
      'The keystore was encrypted under another root key than the one in use (a missing ' +
        'root.key is not the one the keystore was created with). Put the original root key ' +
        'back (root.key from a backup, or the CMEK_KMS_ROOT_KEY the keystore was created with) ' +
        'and run the command again. Without it, the keys in this keystore and the data ' +
        'encrypted under them cannot be recovered; to start over, move the data directory away.',
    );
  }
  return diag('KMS_ERROR', `${code}: ${message}`, remedy[code] ?? '');
}

function int(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}

async function optional<T>(f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    if (isKmsError(e, 'AccessDeniedException')) return undefined;
    throw e;
  }
}

function done(o: CommonOptions, md: LocalKeyMetadata, line: string): void {
  if (o.json) printJson(jsonKey(md));
  else process.stdout.write(`${line}\n`);
}

function printJson(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}

function jsonKey(md: LocalKeyMetadata): Record<string, unknown> {
  return {
    key_id: md.keyId,
    arn: md.arn,
    provider: md.provider,
    region: md.region,
    account: md.account,
    key_state: md.keyState,
    key_spec: md.keySpec,
    description: md.description,
    creation_date: md.creationDate.toISOString(),
    ...(md.deletionDate ? { deletion_date: md.deletionDate.toISOString() } : {}),
    ...(md.pendingDeletionWindowInDays
      ? { pending_window_in_days: md.pendingDeletionWindowInDays }
      : {}),
    multi_region: md.multiRegion,
    ...(md.multiRegionRole ? { multi_region_role: md.multiRegionRole } : {}),
    primary_version: md.primaryVersion ?? null,
    versions: md.versions,
    aliases: md.aliases,
    rotation_enabled: md.rotationEnabled,
    ...(md.rotationPeriodInDays ? { rotation_period_in_days: md.rotationPeriodInDays } : {}),
  };
}

function jsonRotation(r: RotationStatus): Record<string, unknown> {
  return {
    enabled: r.enabled,
    ...(r.rotationPeriodInDays ? { rotation_period_in_days: r.rotationPeriodInDays } : {}),
    ...(r.nextRotationDate ? { next_rotation_date: r.nextRotationDate.toISOString() } : {}),
  };
}

const STATE_COLOUR: Record<string, (s: string) => string> = {
  Enabled: pc.green,
  Disabled: pc.yellow,
  PendingDeletion: pc.red,
  Destroyed: pc.red,
};

function printTable(keys: LocalKeyMetadata[]): void {
  if (!keys.length) {
    process.stdout.write(
      'No keys. Create one with `cmek kms create --region REGION` or `cmek apply`.\n',
    );
    return;
  }
  const rows = keys.map((k) => [
    k.keyId,
    k.region,
    k.keyState,
    k.primaryVersion ?? '-',
    k.aliases.join(',') || '-',
    k.description || '-',
  ]);
  const head = ['KEY ID', 'REGION', 'STATE', 'VERSION', 'ALIASES', 'DESCRIPTION'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[], colour = false) =>
    r
      .map((c, i) => {
        const padded = i === r.length - 1 ? c : c.padEnd(widths[i]!);
        return colour && i === 2 ? (STATE_COLOUR[c] ?? String)(padded) : padded;
      })
      .join('  ');
  process.stdout.write(`${pc.bold(line(head))}\n`);
  for (const r of rows) process.stdout.write(`${line(r, true)}\n`);
}

function printKey(md: LocalKeyMetadata, rotation?: RotationStatus, policy?: string): void {
  const lines: Array<[string, string]> = [
    ['Key ID', md.keyId],
    ['ARN', md.arn],
    ['Provider', md.provider],
    ['Region', md.region],
    ['Account', md.account],
    ['State', (STATE_COLOUR[md.keyState] ?? String)(md.keyState)],
    ['Key spec', md.keySpec],
    ['Description', md.description || '-'],
    ['Created', md.creationDate.toISOString()],
  ];
  if (md.deletionDate) lines.push(['Deletion date', md.deletionDate.toISOString()]);
  if (md.multiRegion) lines.push(['Multi-region', md.multiRegionRole ?? 'yes']);
  lines.push(['Primary version', md.primaryVersion ?? '- (destroyed)']);
  lines.push(['Versions', md.versions.join(', ')]);
  lines.push(['Aliases', md.aliases.join(', ') || '-']);
  if (rotation)
    lines.push([
      'Rotation',
      rotation.enabled
        ? `every ${rotation.rotationPeriodInDays} days, next ${rotation.nextRotationDate?.toISOString() ?? '-'}`
        : 'off',
    ]);
  const w = Math.max(...lines.map(([k]) => k.length));
  for (const [k, v] of lines) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
  if (policy !== undefined) process.stdout.write(`Policy:\n${policy}\n`);
}
