// `cmek service ls|describe|start SERVICE [-json]`: look at the services of the embedded
// control plane and start a stopped one. Parsing and printing only; the work is the control
// plane's (src/service). `openServicePlane` is shared with `cmek data`.
import type { Command } from 'commander';
import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import pc from 'picocolors';
import type { Diagnostic } from '../../model/diagnostics.js';
import type { Value } from '../../model/values.js';
import { printDiagnostics } from '../output.js';
import {
  controlPlaneFor,
  createProviderContext,
  embeddedControlPlaneFor,
} from '../../resources/context.js';
import { DEFAULT_SERVICE_PRINCIPAL, type ProviderSettings } from '../../resources/types.js';
import type { ControlPlaneApi } from '../../service/api.js';
import type { ControlPlane } from '../../service/control-plane.js';
import { destroyedWhen } from '../../service/shredding.js';
import type { ServiceRecord } from '../../service/types.js';

export interface PlaneOptions {
  dataDir?: string;
  servicePrincipal?: string;
  json?: boolean;
}

/** Provider settings for the data verbs: `--data-dir` wins; else the provider block of a
 * configuration in the working directory (its data_dir, service_principal, kms, and endpoint
 * with its credentials: then the verbs drive that `cmek server`); else
 * `.cmek` with the local KMS. A configuration that does not load falls back to the defaults:
 * these verbs must work in a directory whose configuration is half-written. */
export async function cliSettings(o: PlaneOptions): Promise<ProviderSettings> {
  let settings: ProviderSettings = {
    dataDir: resolve('.cmek'),
    servicePrincipal: DEFAULT_SERVICE_PRINCIPAL,
    kms: { backend: 'local' },
  };
  if (o.dataDir === undefined) {
    const files = await readdir('.').catch(() => [] as string[]);
    if (files.some((f) => f.endsWith('.tf') || f.endsWith('.tf.json'))) {
      try {
        // The configuration loader (and the HCL parser) only when there is a .tf to read.
        const [{ loadConfig, loadVarFiles, resolveVariables }, { providerSettings }] =
          await Promise.all([
            import('../../engine/config/index.js'),
            import('../../engine/provider-settings.js'),
          ]);
        const { config, diagnostics } = await loadConfig(resolve('.'));
        if (!diagnostics.some((d) => d.severity === 'error')) {
          // Variables as plan sees them without -var: terraform.tfvars, *.auto.tfvars, TF_VAR_*
          // and defaults (so `endpoint = var.cmek_endpoint` works for these verbs too).
          const files = await loadVarFiles(resolve('.'), []);
          const vars: Record<string, Value> = resolveVariables(config, {
            cliVars: {},
            env: process.env,
            fileVars: files.values,
          }).values;
          const ps = providerSettings(config, vars);
          if (!ps.diagnostics.some((d) => d.severity === 'error')) settings = ps.settings;
        }
      } catch {
        // Unreadable configuration: keep the defaults (see above).
      }
    }
  } else {
    settings = { ...settings, dataDir: resolve(o.dataDir) };
  }
  if (o.servicePrincipal) settings = { ...settings, servicePrincipal: o.servicePrincipal };
  return settings;
}

/** The control plane the CLI verbs act on: the server's when the provider block has an
 * `endpoint` (and no --data-dir), else the embedded one. */
export async function openServicePlane(o: PlaneOptions): Promise<ControlPlaneApi> {
  const ctx = await createProviderContext(await cliSettings(o));
  return controlPlaneFor(ctx);
}

/** The embedded control plane, for the verbs that run it (`cmek poll`, `cmek server`). */
export async function openEmbeddedPlane(o: PlaneOptions): Promise<ControlPlane> {
  const ctx = await createProviderContext(await cliSettings(o));
  return embeddedControlPlaneFor(ctx);
}

/** Options every service/data verb takes. */
export function common(cmd: Command): Command {
  return cmd
    .option(
      '--data-dir <dir>',
      "data directory (default: the provider block's data_dir, else .cmek)",
    )
    .option(
      '--service-principal <arn>',
      "principal the services call the KMS as (default: the provider block's, else " +
        `${DEFAULT_SERVICE_PRINCIPAL})`,
    );
}

/** commander passes ...arguments, options, command. */
export function split<A extends unknown[], O>(all: unknown[]): [A, O] {
  return [all.slice(0, -2) as A, all[all.length - 2] as O];
}

export function printJson(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}

function statusText(s: ServiceRecord['status']): string {
  return s === 'RUNNING' ? pc.green(s) : s === 'SUSPENDED' ? pc.yellow(s) : pc.red(s);
}

function keyText(rec: ServiceRecord): string {
  return rec.keyOwner === 'customer' ? (rec.kmsKey ?? rec.kekArn) : '(provider-managed, not CMEK)';
}

/** What a service is made from: `replica of p`, `clone of p`, `restore of bkp-...`. */
function lineageText(rec: ServiceRecord, names: Map<string, string>): string {
  if (rec.kind === 'service' || !rec.parentId) return rec.kind;
  const parent = names.get(rec.parentId) ?? rec.parentId;
  const kind = rec.kind === 'replica' ? `${rec.replicaKind ?? 'read'} replica` : rec.kind;
  return `${kind} of ${parent}${rec.outOfSync ? ' (out of sync)' : ''}`;
}

export function table(rows: string[][]): string {
  // Width on the uncoloured text so ANSI codes do not skew the columns.
  const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => plain(r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - plain(c).length)))
        .join('  '),
    )
    .join('\n');
}

export function register(program: Command): void {
  const service = program
    .command('service')
    .description('Inspect and start the services of the embedded control plane');

  common(service.command('ls').description('List services: name, id, region, status, key'))
    .option('--json', 'machine-readable output')
    .action(async (...all: unknown[]) => {
      const [, o] = split<[], PlaneOptions>(all);
      const cp = await openServicePlane(o);
      // A corrupt record does not hide the others: they are listed, it is reported (exit 1).
      const problems: Diagnostic[] = [];
      const list = await cp.list(problems);
      if (problems.length) {
        printDiagnostics(problems);
        process.exitCode = 1;
      }
      if (o.json) return printJson(list);
      if (!list.length) {
        if (!problems.length) process.stdout.write(`No services in ${cp.location}.\n`);
        return;
      }
      const rows = [['NAME', 'ID', 'REGION', 'PROFILE', 'STATUS', 'CMEK', 'KEY', 'KIND']];
      const names = new Map(list.map((s) => [s.id, s.name] as const));
      for (const s of list) {
        rows.push([
          s.name,
          s.id,
          s.region,
          s.profile,
          statusText(s.status),
          s.keyOwner === 'customer' ? 'yes' : 'no',
          keyText(s),
          lineageText(s, names),
        ]);
      }
      process.stdout.write(`${table(rows)}\n`);
    });

  common(
    service
      .command('describe')
      .description('Show a service: key, status and why, recent events')
      .argument('<service>', 'service name or id'),
  )
    .option('--json', 'machine-readable output')
    .action(async (...all: unknown[]) => {
      const [[ref], o] = split<[string], PlaneOptions>(all);
      const cp = await openServicePlane(o);
      const rec = await cp.require(ref);
      const events = (await cp.events(rec.id)).slice(-10);
      const backups = await cp.backups.list(rec.id);
      if (o.json) return printJson({ ...rec, backups, events });
      const names = new Map((await cp.list()).map((s) => [s.id, s.name] as const));
      const lines = [
        `${pc.bold(rec.name)} (${rec.id})`,
        `  region:             ${rec.region}`,
        `  profile:            ${rec.profile}`,
        `  kind:               ${lineageText(rec, names)}`,
        ...(rec.replicas?.length
          ? [`  replicas:           ${rec.replicas.map((r) => names.get(r) ?? r).join(', ')}`]
          : []),
        `  status:             ${statusText(rec.status)} — ${rec.statusReason} (since ${rec.statusChangedAt})`,
        `  encrypted (CMEK):   ${rec.keyOwner === 'customer' ? 'yes' : 'no (provider-managed key)'}`,
        ...(rec.keyDestroyed
          ? [
              `  data:               ${pc.red('UNRECOVERABLE (crypto-shredded)')}: key material ` +
                `${destroyedWhen(rec.keyDestroyed)}`,
            ]
          : []),
        `  kms_key:            ${rec.kmsKey ?? '-'}`,
        `  wrapping key:       ${rec.kekArn}${rec.kmsKeyVersion ? ` (version ${rec.kmsKeyVersion})` : ''}`,
        `  key_check_interval: ${rec.keyCheckInterval}`,
        ...(rec.lastKeyCheckAt ? [`  last key check:     ${rec.lastKeyCheckAt}`] : []),
        ...(rec.description ? [`  description:        ${rec.description}`] : []),
        ...(Object.keys(rec.tags).length
          ? [
              `  tags:               ${Object.entries(rec.tags)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ')}`,
            ]
          : []),
        `  created:            ${rec.createdAt}`,
        ...(backups.length
          ? [
              '  backups:',
              ...backups.map(
                (b) =>
                  `    ${b.id}  ${b.createdAt}  ${b.objectCount} objects, ${b.sizeBytes} bytes` +
                  `${b.encrypted ? '' : ' (not CMEK)'}${b.description ? `  ${b.description}` : ''}`,
              ),
            ]
          : []),
        '  events:',
        ...events.map(
          (e) => `    ${e.time}  ${e.type}${e.to ? ` ${e.from ?? ''}→${e.to}` : ''}  ${e.reason}`,
        ),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  common(
    service
      .command('start')
      .description('Start a STOPPED (or SUSPENDED) service once its key is accessible again')
      .argument('<service>', 'service name or id'),
  )
    .option('--json', 'machine-readable output')
    .action(async (...all: unknown[]) => {
      const [[ref], o] = split<[string], PlaneOptions>(all);
      const cp = await openServicePlane(o);
      const before = await cp.require(ref);
      const rec = await cp.start(ref);
      if (o.json) return printJson(rec);
      process.stdout.write(
        before.status === 'RUNNING'
          ? `Service ${rec.name} is already RUNNING.\n`
          : `Service ${rec.name} started: ${before.status} → ${statusText(rec.status)}.\n`,
      );
    });
}
