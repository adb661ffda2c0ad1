// `remote_put_vs_embedded_put`: a 64 MiB put through `cmek server --listen` (the built binary,
// run as its own process as users run it: docs/cli/server.md) by the remote client, SigV4 and
// all, over real HTTP on 127.0.0.1, against the same put straight into the embedded store of
// this process, in the same run. Both write through one data directory (its control plane files
// and its local KMS; separate processes on one data directory use the same locks), each side to
// its own new object names, so neither pays for replacing an existing object. Each side is
// warmed by one untimed put of the same size (a server runs long: its code and heap are warm),
// then best of three each (one with --quick). The goal is ratio ≤ 1.3: the trip through the
// server costs little next to the encryption and the disk.
//
// Needs `npm run build` (dist/cli/main.cjs; CMEK_BENCH_BIN=path/to/main.cjs picks another
// build). The local KMS root key is made here and handed to the server in CMEK_KMS_ROOT_KEY
// (docs/kms.md), with XDG_DATA_HOME in the temporary directory: nothing is written outside it.
// Notes add the CPU time per put (mean over the timed puts) of this process for each side and,
// on Linux, of the server process (from /proc), and the load average. When the puts keep every
// core busy (both sides do on 2 cores) the ratio follows the CPU per put of the two sides: the
// remote side's is the server's plus the client's (this process).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalKms } from '../src/kms/local/index.js';
import { localKmsDir } from '../src/resources/context.js';
import { DEFAULT_SERVICE_PRINCIPAL } from '../src/resources/types.js';
import type { ControlPlaneApi } from '../src/service/api.js';
import { openControlPlane } from '../src/service/control-plane.js';
import { cpuOf } from './cpu.js';
import { remoteControlPlane } from '../src/service/remote/client.js';
import { requireCmekBin, body, result, type BenchOptions, type BenchResult } from './lib.js';

const SIZE = 64 * 1024 * 1024;

/** Best wall seconds of `runs` puts to new names `${prefix}0...`, and the mean CPU seconds per
 * put of this process and of `pid` (undefined where /proc is not there to read). */
async function bestPut(
  cp: ControlPlaneApi,
  prefix: string,
  runs: number,
  piece: Buffer,
  pid?: number,
): Promise<{ seconds: number; cpu: number; serverCpu: number | undefined }> {
  let best = Infinity;
  const cpu0 = process.cpuUsage();
  const server0 = pid === undefined ? NaN : cpuOf(pid);
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await cp.objects.put('bench', `${prefix}${i}`, body(SIZE, piece));
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const used = process.cpuUsage(cpu0);
  const server1 = pid === undefined ? NaN : cpuOf(pid);
  return {
    seconds: best,
    cpu: (used.user + used.system) / 1e6 / runs,
    serverCpu: Number.isNaN(server1 - server0) ? undefined : (server1 - server0) / 1000 / runs,
  };
}

/** Starts `cmek server --listen 127.0.0.1:0` on `dataDir`; resolves with its URL once it
 * prints `listening on`. */
function startServer(
  bin: string,
  dataDir: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
): { child: ChildProcess; url: Promise<string>; stderr: () => string } {
  const child = spawn(
    process.execPath,
    [bin, 'server', '--listen', '127.0.0.1:0', '--data-dir', dataDir],
    { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const url = new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`cmek server did not start:\n${err}`)), 60_000);
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = /^listening on (http:\/\/\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`cmek server exited ${code} before listening:\n${err}`));
    });
  });
  return { child, url, stderr: () => err };
}

/** SIGTERM, then the clean exit docs/cli/server.md promises (SIGKILL after 20 s). */
async function stopServer(child: ChildProcess, stderr: () => string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`cmek server exited ${code} on SIGTERM:\n${stderr()}`);
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const bin = requireCmekBin();
  const dir = await mkdtemp(join(tmpdir(), 'cmek-bench-server-'));
  try {
    const dataDir = join(dir, 'data');
    const rootKey = randomBytes(32);
    // The embedded control plane as `cmek server` opens it (src/resources/context.ts): the
    // local KMS of the data directory, services calling it as the default service principal.
    const local = openLocalKms({ dir: localKmsDir(dataDir), rootKey });
    const admin = local.admin();
    const key = await admin.createKey({ region: 'eu-west-1', description: 'bench' });
    const cp = await openControlPlane({
      dataDir,
      kms: local.client(DEFAULT_SERVICE_PRINCIPAL),
      admin,
      principal: DEFAULT_SERVICE_PRINCIPAL,
    });
    await cp.create({ name: 'bench', region: 'eu-west-1', kmsKey: key.arn });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      CMEK_KMS_ROOT_KEY: Buffer.from(rootKey).toString('base64'),
      XDG_DATA_HOME: join(dir, 'xdg'),
      NO_COLOR: '1',
    };
    delete env.CMEK_KMS_ROOT_KEY_FILE;
    delete env.NODE_OPTIONS;
    const server = startServer(bin, dataDir, env, dir);
    try {
      const remote = remoteControlPlane({
        endpoint: await server.url,
        accessKeyId: 'test',
        secretAccessKey: 'test',
      });
      const pid = server.child.pid;
      const piece = randomBytes(1 << 20);
      const runs = opts.quick ? 1 : 3;
      // Warm both paths (the key caches, the crypto pools, the connection, the compiled code
      // and the heaps of both processes) with one whole-size put each before timing.
      await cp.objects.put('bench', 'warm-embedded', body(SIZE, piece));
      await remote.objects.put('bench', 'warm-remote', body(SIZE, piece));
      const embedded = await bestPut(cp, 'embedded-', runs, piece);
      const viaServer = await bestPut(remote, 'remote-', runs, piece, pid);
      const ms = (s: number) => Math.round(s * 1000);
      return [
        result('remote_put_vs_embedded_put', viaServer.seconds, 's', embedded.seconds, {
          mib: SIZE / 2 ** 20,
          runs,
          remote_mib_per_s: Number((SIZE / 2 ** 20 / viaServer.seconds).toFixed(1)),
          embedded_mib_per_s: Number((SIZE / 2 ** 20 / embedded.seconds).toFixed(1)),
          embedded_cpu_ms: ms(embedded.cpu),
          // The remote side's client (this process) and server (its own process).
          remote_client_cpu_ms: ms(viaServer.cpu),
          ...(viaServer.serverCpu === undefined
            ? {}
            : { remote_server_cpu_ms: ms(viaServer.serverCpu) }),
          loadavg_1m: loadavg()[0]!.toFixed(2),
        }),
      ];
    } finally {
      await stopServer(server.child, server.stderr);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
