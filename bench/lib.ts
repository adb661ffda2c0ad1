// Shared benchmark plumbing. Each bench module exports `run(opts)` returning BenchResult[];
// bench/main.ts runs the modules listed there and prints one JSON object per line
// (docs/contract.md, Performance).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A full GC between samples, so one side's garbage is not collected on the other side's
 * clock. `npm run bench` runs without --expose-gc, so expose it at run time. */
const collect: () => void = (() => {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc === 'function') return gc as () => void;
  } catch {
    // fall through
  }
  console.error("bench: gc() unavailable; samples may include the other side's GC work");
  return () => undefined;
})();

export interface BenchOptions {
  /** `--quick`: smaller inputs, the whole run under a minute on 2 cores. */
  quick: boolean;
}

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  /** value / baseline (≥ 1 is better for throughput, ≤ 1 for time). */
  ratio: number;
  /** Optional extra figures (not part of the JSON line format, printed after it). */
  notes?: Record<string, number | string>;
}

export interface BenchModule {
  run(opts: BenchOptions): Promise<BenchResult[]>;
}

export function result(
  name: string,
  value: number,
  unit: string,
  baseline: number,
  notes?: BenchResult['notes'],
): BenchResult {
  const r: BenchResult = {
    name,
    value,
    unit,
    baseline,
    ratio: baseline === 0 ? 0 : value / baseline,
  };
  if (notes) r.notes = notes;
  return r;
}

export interface Measurement {
  /** Seconds per run: the median (or the minimum, with `stat: 'min'`) of the samples. */
  seconds: number;
  /** All samples, seconds, on the chosen clock. */
  samples: number[];
  /** measurePair on the wall clock: the median of the same samples' process CPU time (user +
   * system of every thread), seconds: what the run cost the machine, beside how long it took. */
  cpuSeconds?: number;
}

/** Which clock a sample reads. 'cpu' = user + system CPU time of this process: for single-
 * threaded CPU-bound work it ignores time spent descheduled while other processes run, which
 * on a shared machine is most of the noise (it is also what `openssl speed` reports). */
export type Clock = 'wall' | 'cpu';

function clockNow(clock: Clock): number {
  if (clock === 'wall') return performance.now() / 1000;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Runs `fn` `warmup` times unmeasured, then `runs` times; returns the median. The median (not
 * the mean) because the machine is shared: one descheduled run must not move the result. */
export async function measure(
  fn: () => unknown | Promise<unknown>,
  opts: { runs?: number; warmup?: number } = {},
): Promise<Measurement> {
  const runs = opts.runs ?? 5;
  for (let i = 0; i < (opts.warmup ?? 1); i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    collect();
    const t0 = performance.now();
    await fn();
    samples.push((performance.now() - t0) / 1000);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return { seconds: sorted[Math.floor(sorted.length / 2)]!, samples };
}

/** Interleaves two measurements (a b, b a, a b, ...) so that load from other processes on the
 * shared machine, and any effect of running first, hit both sides of a ratio alike. Returns
 * medians (or minima with `stat: 'min'`) in `seconds`. */
export async function measurePair(
  a: () => unknown | Promise<unknown>,
  b: () => unknown | Promise<unknown>,
  opts: { runs?: number; warmup?: number; stat?: 'median' | 'min'; clock?: Clock } = {},
): Promise<[Measurement, Measurement]> {
  const clock = opts.clock ?? 'wall';
  const runs = opts.runs ?? 5;
  for (let i = 0; i < (opts.warmup ?? 1); i++) {
    await a();
    await b();
  }
  const sa: number[] = [];
  const sb: number[] = [];
  const ca: number[] = [];
  const cb: number[] = [];
  const time = async (fn: () => unknown, into: number[], cpuInto: number[]) => {
    collect();
    const c0 = clockNow('cpu');
    const t0 = clockNow(clock);
    await fn();
    into.push(clockNow(clock) - t0);
    cpuInto.push(clockNow('cpu') - c0);
  };
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      await time(a, sa, ca);
      await time(b, sb, cb);
    } else {
      await time(b, sb, cb);
      await time(a, sa, ca);
    }
  }
  // 'min' suits CPU-bound, deterministic work on a shared machine: other load only ever adds
  // time, so the fastest sample is the best estimate of the code's own cost.
  const med = (s: number[]) =>
    [...s].sort((x, y) => x - y)[opts.stat === 'min' ? 0 : Math.floor(s.length / 2)]!;
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  return [
    { seconds: med(sa), samples: sa, cpuSeconds: median(ca) },
    { seconds: med(sb), samples: sb, cpuSeconds: median(cb) },
  ];
}

/** GB/s (10^9 bytes per second). */
export function gbps(bytes: number, seconds: number): number {
  return bytes / seconds / 1e9;
}

/** `total` bytes in pieces of one buffer (generation costs nothing measurable). */
export function body(total: number, piece: Buffer): Readable {
  let left = total;
  return new Readable({
    read() {
      if (left <= 0) return this.push(null);
      const n = Math.min(left, piece.length);
      left -= n;
      this.push(n === piece.length ? piece : piece.subarray(0, n));
    },
  });
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The built `cmek` binary the spawn-timed rows run: CMEK_BENCH_BIN, else the file package.json
 * names as `bin.cmek` (needs `npm run build`). `exists` says whether it is there. */
export function cmekBin(): { path: string; exists: boolean } {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    bin: { cmek: string };
  };
  const path = resolve(process.env.CMEK_BENCH_BIN ?? join(ROOT, pkg.bin.cmek));
  return { path, exists: existsSync(path) };
}

/** cmekBin()'s path, or an error saying to build first. */
export function requireCmekBin(): string {
  const { path, exists } = cmekBin();
  if (!exists) throw new Error(`${path} does not exist: run \`npm run build\` first`);
  return path;
}
