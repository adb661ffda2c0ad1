// The key poller ("key check"): every `key_check_interval` (default 10m) per service, the
// control plane exercises the service's key as the service principal and applies the profile's
// reaction (ControlPlane.checkKey): clickhouse STOPS and waits for `cmek service start`, cloudsql
// SUSPENDS and resumes by itself at the next check once the key is back; a destroyed key marks
// the service crypto-shredded. `pollOnce` is one pass (`cmek poll --once`); `KeyPoller` runs
// passes until stopped (`cmek poll`, `cmek server`).
//
// Fail closed in a long-running process: every pass also purges the cached plaintext keys of
// every service that is not RUNNING, whoever stopped it (this poller, another process's
// `cmek poll --once`, or a `cmek service` verb), so a server never keeps the keys of a stopped
// service in memory beyond one pass.
import type { ControlPlane } from './control-plane.js';
import { parseDuration } from './control-plane.js';
import type { ServiceRecord, ServiceStatus } from './types.js';

/** A status change made by a key check. */
export interface KeyTransition {
  time: string;
  serviceId: string;
  name: string;
  profile: ServiceRecord['profile'];
  from: ServiceStatus;
  to: ServiceStatus;
  reason: string;
}

/** The outcome of one check of one service. */
export interface KeyCheckResult {
  serviceId: string;
  name: string;
  status: ServiceStatus;
  /** true when the key passed the live check. */
  ok: boolean;
  /** The failure's summary, when the check failed. */
  problem?: string;
  /** The data is unrecoverable: the key material was destroyed. */
  cryptoShredded?: boolean;
}

export interface PollReport {
  time: string;
  /** Services whose key was checked in this pass. */
  checked: KeyCheckResult[];
  /** Services not due yet (or on a provider-managed key). */
  skipped: number;
  transitions: KeyTransition[];
  /** Checks that could not run (I/O, lock timeouts): retried at the next pass. */
  errors: Array<{ serviceId: string; name: string; message: string }>;
  /** Milliseconds until the next service is due (undefined: none has a customer key). */
  nextDueInMs?: number;
}

export interface PollOptions {
  /** Check every service whatever its interval (`cmek poll --once --all`). */
  all?: boolean;
  /** Override every service's key_check_interval (ms), e.g. `--interval 1s` in tests. */
  intervalMs?: number;
  /** Time source (tests). */
  now?: () => Date;
}

/** Milliseconds between two checks of `rec`. A record with an unparseable interval (written by
 * hand) gets the default 10 minutes rather than never being checked. */
export function intervalOf(rec: ServiceRecord, overrideMs?: number): number {
  return overrideMs ?? parseDuration(rec.keyCheckInterval) ?? 600_000;
}

/** Milliseconds until `rec` is due for a key check (≤ 0: due now). */
export function dueInMs(rec: ServiceRecord, now: Date, overrideMs?: number): number {
  if (!rec.lastKeyCheckAt) return 0;
  return Date.parse(rec.lastKeyCheckAt) + intervalOf(rec, overrideMs) - now.getTime();
}

/** One poller pass over every service of the control plane. */
export async function pollOnce(cp: ControlPlane, opts: PollOptions = {}): Promise<PollReport> {
  const now = opts.now ?? (() => cp.now());
  const started = now();
  const report: PollReport = {
    time: started.toISOString(),
    checked: [],
    skipped: 0,
    transitions: [],
    errors: [],
  };
  let next: number | undefined;
  for (const rec of await cp.list()) {
    // Fail closed first, before any KMS round trip of this pass.
    if (rec.status !== 'RUNNING') cp.keys.purge(rec.id);
    if (rec.keyOwner !== 'customer') {
      report.skipped++;
      continue;
    }
    if (!opts.all && dueInMs(rec, started, opts.intervalMs) > 0) {
      report.skipped++;
      const due = dueInMs(rec, started, opts.intervalMs);
      next = next === undefined ? due : Math.min(next, due);
      continue;
    }
    try {
      const { record, previous, failure } = await cp.checkKey(rec.id);
      report.checked.push({
        serviceId: record.id,
        name: record.name,
        status: record.status,
        ok: !failure,
        ...(failure ? { problem: failure.diagnostics[0]?.summary ?? failure.message } : {}),
        ...(record.keyDestroyed ? { cryptoShredded: true } : {}),
      });
      if (record.status !== previous) {
        report.transitions.push({
          time: record.statusChangedAt,
          serviceId: record.id,
          name: record.name,
          profile: record.profile,
          from: previous,
          to: record.status,
          reason: record.statusReason,
        });
      }
      const interval = intervalOf(record, opts.intervalMs);
      next = next === undefined ? interval : Math.min(next, interval);
    } catch (e) {
      // Deleted by another process since the listing: nothing to check any more.
      if (!(await cp.get(rec.id).catch(() => rec))) continue;
      report.errors.push({
        serviceId: rec.id,
        name: rec.name,
        message: e instanceof Error ? e.message : String(e),
      });
    }
  }
  if (next !== undefined) report.nextDueInMs = Math.max(0, next);
  return report;
}

export interface KeyPollerOptions extends Omit<PollOptions, 'all'> {
  /** Called after every pass (print transitions, log). */
  onReport?: (r: PollReport) => void;
  /** Called when a pass itself fails (the data directory is unreadable, ...). */
  onError?: (e: unknown) => void;
  /** Longest sleep between passes (ms, default 30 s), so services created meanwhile, or whose
   * interval was shortened, are picked up soon. */
  maxSleepMs?: number;
  /** Shortest sleep between passes (ms, default 100). */
  minSleepMs?: number;
}

/** Runs pollOnce until stopped, sleeping until the next service is due. */
export class KeyPoller {
  readonly #cp: ControlPlane;
  readonly #opts: KeyPollerOptions;
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<void> | undefined;
  #stopped = true;
  /** Passes run so far. */
  passes = 0;

  constructor(cp: ControlPlane, opts: KeyPollerOptions = {}) {
    this.#cp = cp;
    this.#opts = opts;
  }

  get running(): boolean {
    return !this.#stopped;
  }

  /** Start polling; the first pass runs at once. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pass = this.#run();
    }, ms);
  }

  async #run(): Promise<void> {
    let sleep = this.#opts.maxSleepMs ?? 30_000;
    try {
      const {
        onReport,
        onError: _onError,
        maxSleepMs: _max,
        minSleepMs: _min,
        ...poll
      } = this.#opts;
      const report = await pollOnce(this.#cp, poll);
      this.passes++;
      onReport?.(report);
      if (report.nextDueInMs !== undefined) sleep = Math.min(sleep, report.nextDueInMs);
    } catch (e) {
      this.#opts.onError?.(e);
    }
    this.#schedule(Math.max(this.#opts.minSleepMs ?? 100, sleep));
  }

  /** Stop: no new pass starts; resolves once the pass in flight (if any) has finished, so its
   * record writes are complete before the process exits. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#pass;
  }
}
