// CPU time of child processes for the bench rows that launch programs (the Terraform plugin,
// `terraform plan`, `cmek plan`): on a shared machine CPU time moves less with other processes'
// load than wall time. Linux /proc only; NaN elsewhere.
import { readFileSync, readdirSync } from 'node:fs';
import { procStatFields } from '../src/support/process.js';

/** CPU milliseconds process `pid` has run so far, all its threads (it must still be running). */
export function cpuOf(pid: number | undefined): number {
  try {
    let ns = 0;
    for (const t of readdirSync(`/proc/${pid}/task`))
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    return ns / 1e6;
  } catch {
    return NaN;
  }
}

/** CPU milliseconds (user + system) of this process's children reaped so far, including what
 * they in turn waited for: the difference around a run is that run's CPU time. */
export function childrenCpu(): number {
  // cutime and cstime: fields 16 and 17 of /proc/self/stat, in clock ticks (USER_HZ, 100 on Linux).
  const fields = procStatFields(process.pid);
  return fields ? ((Number(fields[13]) + Number(fields[14])) * 1000) / 100 : NaN;
}
