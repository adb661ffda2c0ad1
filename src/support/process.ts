// Who this process is, in a form another process can check later: pid, host and the kernel's
// start time of the pid. A pid alone is not proof of life (pids are reused after a crash or a
// reboot); pid + start time is, on hosts that expose it (Linux /proc). Elsewhere the start time
// is absent and liveness falls back to the pid.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** The fields of /proc/PID/stat from field 3 on (index 0 = field 3), or undefined where /proc
 * is not available or the process does not exist. The command name (field 2) is in parentheses
 * and may itself contain spaces or parentheses: fields are counted from after the last ')'. */
export function procStatFields(pid: number): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** The start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat), or undefined
 * where /proc is not available or the process does not exist. */
export function processStartTime(pid: number): string | undefined {
  return procStatFields(pid)?.[19];
}

export interface ProcessIdentity {
  pid: number;
  host: string;
  /** See processStartTime; absent where the platform does not tell. */
  started?: string;
}

let self: ProcessIdentity | undefined;

/** This process's identity (computed once). */
export function thisProcess(): ProcessIdentity {
  if (!self) {
    const started = processStartTime(process.pid);
    self = { pid: process.pid, host: hostname(), ...(started ? { started } : {}) };
  }
  return self;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process `who` names is still running: true or false on this host, undefined for
 * another host or an unnamed one (nothing here can tell). A pid that exists but started at another time than
 * recorded is a reused pid: the recorded process is gone. */
export function processAlive(who: {
  pid?: number;
  host?: string;
  started?: string;
}): boolean | undefined {
  if (who.host === undefined || who.host !== hostname()) return undefined;
  if (typeof who.pid !== 'number' || !Number.isInteger(who.pid) || who.pid <= 0) return false;
  if (!pidExists(who.pid)) return false;
  if (who.started !== undefined) {
    const now = processStartTime(who.pid);
    if (now !== undefined && now !== who.started) return false;
  }
  return true;
}
