// Backends for the shared behavioural suite: the local KMS in-process, and our AWS backend
// talking over real HTTP + SigV4 to `cmek kms serve` (in-process, or the real CLI process).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AwsKms } from '../../src/kms/aws.js';
import { openLocalKms } from '../../src/kms/local/index.js';
import { startKmsServer } from '../../src/kms/server/index.js';
import { parseCredentials } from '../../src/kms/server/credentials.js';
import type { KmsAdmin } from '../../src/kms/types.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const ROOT = 'arn:aws:iam::000000000000:root';
/** A ClickHouse-style cross-account service role: gets only what the key policy grants. */
export const SERVICE = 'arn:aws:iam::576599896960:role/prod-kms-request-role';
/** Another account's role that no key policy names. */
export const INTRUDER = 'arn:aws:iam::111122223333:role/intruder';
export const REGION = 'eu-west-1';

export const CREDENTIALS = {
  test: { secret: 'test', principal: ROOT },
  AKIASERVICE: { secret: 'service-secret', principal: SERVICE },
  AKIAINTRUDER: { secret: 'intruder-secret', principal: INTRUDER },
} as const;

export interface Backend {
  admin: KmsAdmin;
  service: KmsAdmin;
  intruder: KmsAdmin;
  /** Complete pending deletions now (`cmek kms purge`). */
  purge(): Promise<void>;
  close(): Promise<void>;
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'cmek-kms-'));
}

export async function localBackend(): Promise<Backend> {
  const dataDir = tmp();
  const kms = openLocalKms({ dir: join(dataDir, 'kms') });
  return {
    admin: kms.client(ROOT, { region: REGION }),
    service: kms.client(SERVICE, { region: REGION }),
    intruder: kms.client(INTRUDER, { region: REGION }),
    purge: async () => {
      await kms.admin().purge();
    },
    close: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

function awsClients(endpoint: string) {
  const make = (id: keyof typeof CREDENTIALS) =>
    new AwsKms({
      region: REGION,
      endpoint,
      credentials: { accessKeyId: id, secretAccessKey: CREDENTIALS[id].secret },
      // No retries: every error is deterministic here, and retries would only slow tests down.
      maxAttempts: 1,
    });
  return { admin: make('test'), service: make('AKIASERVICE'), intruder: make('AKIAINTRUDER') };
}

export async function awsInProcessBackend(): Promise<Backend> {
  const dataDir = tmp();
  const kms = openLocalKms({ dir: join(dataDir, 'kms') });
  const server = await startKmsServer({
    kms,
    port: 0,
    credentials: parseCredentials(JSON.stringify(CREDENTIALS)),
  });
  const c = awsClients(server.url);
  return {
    ...c,
    purge: async () => {
      await kms.admin().purge();
    },
    close: async () => {
      for (const k of Object.values(c)) k.close();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Start the real CLI: `cmek kms serve --port 0 ...`, wait for "listening on URL". */
export async function spawnServe(args: string[]): Promise<ServeProcess> {
  // `node --import tsx` rather than `npx tsx`: one process, so SIGTERM reaches the CLI itself.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.cts', 'kms', 'serve', '--port', '0', ...args],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`kms serve did not start:\n${err}`)), 45_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`kms serve exited with ${code} before listening:\n${err}`));
    });
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return {
    url,
    child,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export async function awsCliProcessBackend(): Promise<Backend & { proc: ServeProcess }> {
  const dataDir = tmp();
  const credFile = join(dataDir, 'credentials.json');
  writeFileSync(credFile, JSON.stringify(CREDENTIALS));
  const proc = await spawnServe(['--data-dir', dataDir, '--credentials', credFile, '--quiet']);
  const c = awsClients(proc.url);
  return {
    ...c,
    proc,
    // What an operator would type in another terminal: `cmek kms purge` on the same data dir
    // (the local KMS store is safe to share between processes).
    purge: () =>
      new Promise<void>((res, rej) =>
        execFile(
          process.execPath,
          ['--import', 'tsx', 'src/cli/main.cts', 'kms', 'purge', '--data-dir', dataDir],
          { cwd: REPO },
          (err, _stdout, stderr) => (err ? rej(new Error(`cmek kms purge: ${stderr}`)) : res()),
        ),
      ),
    close: async () => {
      for (const k of Object.values(c)) k.close();
      await proc.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
