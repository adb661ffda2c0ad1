// `cmek kms serve [--port N] [--host H] [--credentials FILE] [--data-dir DIR]`: serve the
// local KMS over the AWS KMS JSON 1.1 protocol until SIGINT/SIGTERM. Parsing and printing only;
// the server is src/kms/server.
import { Command, InvalidArgumentError } from 'commander';
import { openCliLocalKms } from './kms.js';
import { readingFile, requireDirectory } from '../output.js';

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) {
    throw new InvalidArgumentError('expected a port number 0-65535 (0 = any free port)');
  }
  return n;
}

interface ServeOptions {
  port: number;
  host: string;
  credentials?: string;
  dataDir?: string;
  quiet?: boolean;
}

/** Add `serve` to the `kms` command. */
export function addServeCommand(kms: Command): Command {
  return kms
    .command('serve')
    .description(
      'Serve the local KMS over the AWS KMS JSON 1.1 protocol (SigV4) for AWS SDKs, the AWS CLI\n' +
        'and Terraform. Without --credentials, access key "test" / secret "test" acts as\n' +
        'arn:aws:iam::000000000000:root. Prints "listening on http://HOST:PORT" once ready.',
    )
    .option('--port <n>', 'port to listen on (0 = any free port)', port, 4599)
    .option('--host <addr>', 'address to bind (keep it local: there is no TLS)', '127.0.0.1')
    .option(
      '--credentials <file>',
      'JSON file: { "ACCESS_KEY_ID": { "secret": "...", "principal": "arn:aws:iam::ACCOUNT:role/NAME" } }',
    )
    .option(
      '--data-dir <dir>',
      "data directory holding the local KMS (DIR/kms; default: the provider block's data_dir, else .cmek)",
    )
    .option('--quiet', 'do not log one line per request to stderr')
    .action(async (opts: ServeOptions) => {
      // The wire server (SigV4, request schemas) only for `kms serve`, not for every `kms` verb.
      const { loadCredentials, startKmsServer } = await import('../../kms/server/index.js');
      const file = opts.credentials;
      const credentials = file
        ? await readingFile(file, 'the credentials file', () => loadCredentials(file))
        : undefined;
      if (opts.dataDir !== undefined) await requireDirectory(opts.dataDir, 'the data directory');
      const kms = await openCliLocalKms(opts.dataDir);
      const server = await startKmsServer({
        kms,
        port: opts.port,
        host: opts.host,
        ...(credentials ? { credentials } : {}),
        ...(opts.quiet
          ? {}
          : { log: (line: string) => process.stderr.write(`kms serve: ${line}\n`) }),
      });
      // Serve until asked to stop; then close the sockets and exit 0. The handlers go in before
      // "listening on" is printed, so a supervisor that signals right after it is honoured.
      let stopped!: () => void;
      const done = new Promise<void>((resolve) => (stopped = resolve));
      const stop = (signal: NodeJS.Signals): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        process.stderr.write(`kms serve: ${signal}, shutting down\n`);
        server.close().then(stopped, (e: unknown) => {
          process.stderr.write(`kms serve: ${(e as Error).message}\n`);
          stopped();
        });
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      process.stdout.write(`listening on ${server.url}\n`);
      await done;
    });
}

/** Register `kms serve` on the program, reusing the `kms` command if another verb file created it
 * (src/cli/commands/kms.ts owns `kms ls|describe|...`). */
export function register(program: Command): void {
  const existing = program.commands.find((c) => c.name() === 'kms');
  const kms = existing ?? program.command('kms').description('Manage and serve the local KMS');
  if (!kms.commands.some((c) => c.name() === 'serve')) addServeCommand(kms);
}
