// `remote_put_vs_embedded_put`: a 64 MiB put through `cmek server` (the real HTTP server and
// the remote client, SigV4 and all, on 127.0.0.1) against the same put straight into the
// embedded store, in the same run, on the same control plane. Best of three each (one with
// --quick). The goal is ratio ≤ 1.3: the trip through the server costs little next to the
// encryption and the disk.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalKms } from '../src/kms/local/index.js';
import { openControlPlane } from '../src/service/control-plane.js';
import type { ControlPlaneApi } from '../src/service/api.js';
import { remoteControlPlane } from '../src/service/remote/client.js';
import { startControlPlaneServer } from '../src/service/remote/server.js';
import { body, result, type BenchOptions, type BenchResult } from './lib.js';

const SIZE = 64 * 1024 * 1024;

async function bestPut(cp: ControlPlaneApi, runs: number, piece: Buffer): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await cp.objects.put('bench', `o${i}`, body(SIZE, piece));
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return best;
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'cmek-bench-server-'));
  try {
    const local = openLocalKms({ dir: join(dir, 'kms'), rootKey: randomBytes(32) });
    const admin = local.admin();
    const key = await admin.createKey({ region: 'eu-west-1', description: 'bench' });
    const cp = await openControlPlane({ dataDir: join(dir, 'data'), kms: admin, admin });
    await cp.create({ name: 'bench', region: 'eu-west-1', kmsKey: key.arn });
    const server = await startControlPlaneServer({ cp, kms: local });
    try {
      const remote = remoteControlPlane({
        endpoint: server.url,
        accessKeyId: 'test',
        secretAccessKey: 'test',
      });
      const piece = randomBytes(1 << 20);
      const runs = opts.quick ? 1 : 3;
      // Warm both paths (the key cache, the crypto pool) before timing.
      await cp.objects.put('bench', 'warm', body(4 << 20, piece));
      await remote.objects.put('bench', 'warm', body(4 << 20, piece));
      const embedded = await bestPut(cp, runs, piece);
      const viaServer = await bestPut(remote, runs, piece);
      return [
        result('remote_put_vs_embedded_put', viaServer, 's', embedded, {
          mib: SIZE / 2 ** 20,
          runs,
          remote_mib_per_s: Number((SIZE / 2 ** 20 / viaServer).toFixed(1)),
          embedded_mib_per_s: Number((SIZE / 2 ** 20 / embedded).toFixed(1)),
        }),
      ];
    } finally {
      await server.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
