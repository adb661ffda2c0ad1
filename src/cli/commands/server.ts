// `cmek server [--listen HOST:PORT] [--interval D] [--kms-port N] [--credentials FILE]`: the
// long-running control plane. It keeps one ControlPlane open (so the unwrapped-key cache is warm
// across requests), runs the key poller, with --listen serves the control plane over
// authenticated HTTP to remote clients (src/service/remote/server.ts; with the local KMS, its
// AWS KMS protocol on the same port), and with --kms-port the local KMS alone. It says what it
// does on stdout, refused requests on stderr, and stops cleanly on SIGINT/SIGTERM: the poll in
// flight completes, the servers close, every cached plaintext key is destroyed, exit 0.
import { InvalidArgumentError, type Command } from 'commander';
import { join } from 'node:path';
import { openLocalKms } from '../../kms/local/index.js';
import { loadCredentials, startKmsServer, type KmsServer } from '../../kms/server/index.js';
import { createProviderContext, embeddedControlPlaneFor } from '../../resources/context.js';
import { startControlPlaneServer, type ControlPlaneServer } from '../../service/remote/server.js';
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

/** `HOST:PORT`, `[V6]:PORT` or `:PORT` (127.0.0.1). */
function listenAddress(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d+)$/.exec(value);
  if (!m || Number(m[3]) > 65535)
    throw new InvalidArgumentError('expected HOST:PORT, e.g. 127.0.0.1:8300 or 0.0.0.0:0');
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port: Number(m[3]) };
}

interface ServerOpts extends PlaneOptions {
  listen?: { host: string; port: number };
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
        'Run the control plane: the key poller (each service every key_check_interval); with\n' +
          '--listen the control plane over authenticated HTTP for remote clients (and the local\n' +
          'KMS on the same port); with --kms-port the local KMS alone. Stops on SIGINT/SIGTERM.',
      ),
  )
    .option(
      '--interval <duration>',
      "override every service's key_check_interval (e.g. 1s, for tests)",
      durationMs,
    )
    .option(
      '--listen <host:port>',
      'serve the control plane (and the local KMS) over HTTP on HOST:PORT (port 0 = any free)',
      listenAddress,
    )
    .option('--kms-port <n>', 'also serve the local KMS on 127.0.0.1:N (0 = any free port)', port)
    .option(
      '--credentials <file>',
      'access keys allowed to call --listen and --kms-port (format of cmek kms serve)',
    )
    .option('--verbose', 'print every key check, not only status transitions')
    .action(async (...all: unknown[]) => {
      const [, o] = split<[], ServerOpts>(all);
      const file = o.credentials;
      const credentials = file
        ? await readingFile(file, 'the credentials file', () => loadCredentials(file))
        : undefined;
      if (credentials && o.kmsPort === undefined && o.listen === undefined) {
        throw new DiagnosticError(
          diag(
            'USAGE',
            '--credentials is for the servers, which run only with --listen or --kms-port',
            'Add --listen HOST:PORT or --kms-port N (0 = any free port), or drop --credentials.',
          ),
        );
      }
      const settings = await cliSettings(o);
      const ctx = await createProviderContext(settings);
      const cp = await embeddedControlPlaneFor(ctx);
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
      let http: ControlPlaneServer | undefined;
      if (o.listen) {
        http = await startControlPlaneServer({
          cp,
          host: o.listen.host,
          port: o.listen.port,
          ...(credentials ? { credentials } : {}),
          ...(settings.kms.backend === 'local'
            ? { kms: openLocalKms({ dir: join(settings.dataDir, 'kms') }) }
            : {}),
          log: (l) => process.stderr.write(`cmek server: ${l}\n`),
        });
        say(
          `control plane${settings.kms.backend === 'local' ? ' and KMS' : ''} listening on ` +
            `${http.url}${credentials ? '' : ' (default credentials test/test: use --credentials)'}`,
        );
        // The line scripts and tests wait for, without the prefix.
        process.stdout.write(`listening on ${http.url}\n`);
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
          await http?.close();
          await kms?.close();
          const n = cp.keys.cache.purge();
          say(`stopped (${poller.passes} poll pass(es); ${n} cached key(s) destroyed)`);
        },
        () => say('ready (SIGINT or SIGTERM to stop)'),
      );
    });
}
