// CPU time of child processes for the bench rows that launch programs (the Terraform plugin,
// `terraform plan`, `cmek plan`): on a shared machine CPU time moves less with other processes'
// load than wall time. Linux /proc only; NaN elsewhere.
import { readFileSync, readdirSync } from 'node:fs';

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
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}
