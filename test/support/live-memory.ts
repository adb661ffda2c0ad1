// Live memory for the bounded-memory tests: JS heap + Buffer backing stores after a forced GC,
// so a figure is memory still referenced (buffers in flight), not garbage the collector has not
// got to yet. Peak growth is sampled every 20 ms while a transfer runs.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Live memory (JS heap + Buffer backing stores) after a GC. */
export function live(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Peak growth of live memory while `fn` runs (sampled every 20 ms). */
export async function peakLive(fn: () => Promise<void>): Promise<number> {
  const base = live();
  let peak = base;
  const t = setInterval(() => {
    peak = Math.max(peak, live());
  }, 20);
  try {
    await fn();
  } finally {
    clearInterval(t);
  }
  return peak - base;
}
