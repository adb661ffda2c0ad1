// scratch: per-thread CPU of N 64 MiB encrypts (mode from argv): 'pool' or 'bare'
import { createCipheriv, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
function threads(): Map<string, { comm: string; ns: number }> {
  const m = new Map<string, { comm: string; ns: number }>();
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const comm = readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim();
      const ns = Number(readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ')[0]);
      m.set(t, { comm, ns });
    } catch {}
  }
  return m;
}
import { encryptToPartsAsync, SecretKey } from './src/core/index.js';
import { defaultCryptoPool } from './src/core/pool.js';
const mode = process.argv[2] ?? 'pool';
const N = Number(process.argv[3] ?? 30);
const data = randomBytes(64 * 1024 * 1024);
const key = randomBytes(32);
function bare(): Buffer[] {
  const iv = Buffer.alloc(12);
  const out: Buffer[] = [];
  for (let off = 0, i = 0; off < data.length; off += 65536, i++) {
    iv.writeUInt32BE(i, 8);
    const c = createCipheriv('aes-256-gcm', key, iv);
    out.push(c.update(data.subarray(off, off + 65536)));
    c.final();
    out.push(c.getAuthTag());
  }
  return out;
}
const dek = { ref: { id: 'k'.repeat(15), generation: 1 }, key: new SecretKey(key) } as never;
const pool = defaultCryptoPool();
if (mode !== 'bare') pool!.release(await encryptToPartsAsync(data, { dek, context: {}, pool, recycle: mode === 'slab' }));
const times: number[] = [];
const t0 = threads();
const c0 = process.cpuUsage();
for (let i = 0; i < N; i++) {
  const t = performance.now();
  if (mode === 'pool') await encryptToPartsAsync(data, { dek, context: {}, pool });
  else if (mode === 'slab') pool!.release(await encryptToPartsAsync(data, { dek, context: {}, pool, recycle: true }));
  else bare();
  times.push(performance.now() - t);
}
const c = process.cpuUsage(c0);
const t1 = threads();
const byComm: Record<string, number> = {};
for (const [tid, v] of t1) {
  const d = (v.ns - (t0.get(tid)?.ns ?? 0)) / 1e6 / N;
  const name = tid === String(process.pid) ? 'main' : `${v.comm}:${tid}`;
  byComm[name] = Number(((byComm[name] ?? 0) + d).toFixed(1));
}
times.sort((a, b) => a - b);
console.error(JSON.stringify({ mode, min_ms: times[0]!.toFixed(1), med_ms: times[N >> 1]!.toFixed(1), threads_ms_per_obj: byComm, proc_cpu_ms_per_obj: ((c.user + c.system) / 1000 / N).toFixed(1) }));
process.exit(0);
