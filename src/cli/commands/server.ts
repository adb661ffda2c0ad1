// `cmek server [--interval D] [--kms-port N] [--credentials FILE]`: the long-running
// control plane. It keeps one ControlPlane open (so the unwrapped-key cache is warm across
// requests), runs the key poller, and optionally serves the local KMS over the AWS KMS JSON 1.1
// protocol. It says what it does on stdout, and stops cleanly on SIGINT/SIGTERM: the poll in
// flight completes, the KMS server closes, every cached plaintext key is destroyed, exit 0.
import { InvalidArgumentError, type Command } from 'commander';
import { join } from 'node:path';
import { openLocalKms } from '../../kms/local/index.js';
import { loadCredentials, startKmsServer, type KmsServer } from '../../kms/server/index.js';
import { controlPlaneFor, createProviderContext } from '../../resources/context.js';
import { diag, DiagnosticError } from '../../model/diagnostics.js';
import { KeyPoller } from '../../service/poller.js';
import { readingFile } from '../output.js';
import { durationMs, reportLines, runUntilSignal } from './poll.js';
import { cliSettings, common, split, type PlaneOptions } from './service.js';

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new InvalidArgumentError('expected a port number 0-65535 (0 = any free port)');
  return n;
}

interface ServerOpts extends PlaneOptions {
  interval?: number;
  kmsPort?: number;
  credentials?: string;
  verbose?: boolean;
}

function say(line: string): void {
  process.stdout.write(`cmek server: ${line}\n`);
}

export function register(program: Command): void {
  common(
    program
      .command('server')
      .description(
        'Run the control plane: the key poller (each service every key_check_interval), and\n' +
          'with --kms-port the local KMS over the AWS KMS protocol. Stops on SIGINT/SIGTERM.',
      ),
  )
    .option(
      '--interval <duration>',
      "override every service's key_check_interval (e.g. 1s, for tests)",
      durationMs,
    )
    .option('--kms-port <n>', 'also serve the local KMS on 127.0.0.1:N (0 = any free port)', port)
    .option('--credentials <file>', 'credentials file of the KMS server (see cmek kms serve)')
    .option('--verbose', 'print every key check, not only status transitions')
    .action(async (...all: unknown[]) => {
      const [, o] = split<[], ServerOpts>(all);
      const file = o.credentials;
      const credentials = file
        ? await readingFile(file, 'the credentials file', () => loadCredentials(file))
        : undefined;
      if (credentials && o.kmsPort === undefined) {
        throw new DiagnosticError(
          diag(
            'USAGE',
            '--credentials is for the KMS server, which runs only with --kms-port',
            'Add --kms-port N (0 = any free port), or drop --credentials.',
          ),
        );
      }
      const settings = await cliSettings(o);
      const ctx = await createProviderContext(settings);
      const cp = await controlPlaneFor(ctx);
      const services = await cp.list();
      say(
        `control plane on ${cp.dataDir} (${services.length} service(s)), KMS backend ` +
          `${settings.kms.backend}, service principal ${settings.servicePrincipal}`,
      );
      let kms: KmsServer | undefined;
      if (o.kmsPort !== undefined) {
        if (settings.kms.backend !== 'local') {
          throw new DiagnosticError(
            diag(
              'USAGE',
              '--kms-port serves the local KMS only',
              `The provider's KMS backend is ${settings.kms.backend}: drop --kms-port, or use the local KMS.`,
            ),
          );
        }
        kms = await startKmsServer({
          kms: openLocalKms({ dir: join(settings.dataDir, 'kms') }),
          port: o.kmsPort,
          ...(credentials ? { credentials } : {}),
        });
        say(`kms listening on ${kms.url}`);
      }
      say(
        o.interval !== undefined
          ? `key poller: every service every ${o.interval % 1000 ? `${o.interval}ms` : `${o.interval / 1000}s`} (--interval)`
          : 'key poller: each service every key_check_interval (default 10m)',
      );
      const poller = new KeyPoller(cp, {
        ...(o.interval !== undefined ? { intervalMs: o.interval } : {}),
        onReport: (r) => {
          for (const l of reportLines(r, o.verbose)) say(l);
        },
        onError: (e) => process.stderr.write(`cmek server: poll failed: ${(e as Error).message}\n`),
      });
      await runUntilSignal(
        poller,
        'cmek server',
        async () => {
          await kms?.close();
          const n = cp.keys.cache.purge();
          say(`stopped (${poller.passes} poll pass(es); ${n} cached key(s) destroyed)`);
        },
        () => say('ready (SIGINT or SIGTERM to stop)'),
      );
    });
}
