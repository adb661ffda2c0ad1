// Per-thread CPU of whole-object sealing, for docs/core.md ("Shared memory instead of
// transfers"): `npx tsx bench/pool-threads.ts bare|slabs|transfer [objects]` seals `objects`
// (default 30) objects of 64 MiB in one process and prints one JSON line on stderr: wall
// minimum and median per object, and CPU per object of the main thread, the two busiest other
// threads (the crypto workers, for the pooled modes) and the rest (V8's background threads),
// from /proc/self/task/*/schedstat (Linux only). CPU time per thread moves much less with
// other processes' load than wall time; quote the load average with every figure.
//   bare:     the one-thread createCipheriv loop of bench/core.ts (outputs kept, then dropped)
//   slabs:    encryptToPartsAsync with `recycle` (shared slabs), parts released after each
//   transfer: encryptToPartsAsync without it (per-chunk buffers transferred from the workers)
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import {
  SecretKey,
  defaultCryptoPool,
  encryptToPartsAsync,
  type DataKey,
} from '../src/core/index.js';
import { bareEncrypt } from './core.js';

const SIZE = 64 * 1024 * 1024;

/** Nanoseconds of CPU per thread id of this process so far. */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of readdirSync('/proc/self/task')) {
    try {
      out.set(t, Number(readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ')[0]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

const mode = process.argv[2] ?? 'slabs';
const objects = Number(process.argv[3] ?? 30);
if (!['bare', 'slabs', 'transfer'].includes(mode) || !(objects >= 1)) {
  console.error('usage: npx tsx bench/pool-threads.ts bare|slabs|transfer [objects]');
  process.exit(2);
}
const data = randomBytes(SIZE);
const key = randomBytes(32);
const dek: DataKey = { ref: { id: 'b'.repeat(15), generation: 1 }, key: new SecretKey(key) };
const pool = defaultCryptoPool();
const once = async (): Promise<void> => {
  if (mode === 'bare') {
    bareEncrypt(key, data);
    return;
  }
  const parts = await encryptToPartsAsync(data, {
    dek,
    context: {},
    pool,
    recycle: mode === 'slabs',
  });
  if (mode === 'slabs') pool?.release(parts);
};
await once(); // warm: workers started, slabs allocated
const before = threadCpu();
const times: number[] = [];
for (let i = 0; i < objects; i++) {
  const t = performance.now();
  await once();
  times.push(performance.now() - t);
}
const after = threadCpu();
let main = 0;
const others: number[] = [];
for (const [tid, ns] of after) {
  const ms = (ns - (before.get(tid) ?? 0)) / 1e6 / objects;
  if (tid === String(process.pid)) main = ms;
  else others.push(ms);
}
others.sort((a, b) => b - a);
times.sort((a, b) => a - b);
const r = (x: number) => Number(x.toFixed(1));
console.error(
  JSON.stringify({
    mode,
    objects,
    threads: pool?.threads ?? 0,
    wall_min_ms: r(times[0]!),
    wall_median_ms: r(times[objects >> 1]!),
    main_thread_cpu_ms: r(main),
    busiest_two_other_threads_cpu_ms: others.slice(0, 2).map(r),
    rest_cpu_ms: r(others.slice(2).reduce((a, b) => a + b, 0)),
    loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  }),
);
await pool?.close();
