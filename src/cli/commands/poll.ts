// `cmek poll [--once] [--all] [--interval D] [--json]`: the key poller (docs/key-lifecycle.md). Each
// pass checks the key of every service that is due (its `key_check_interval` has passed since
// its last check) and prints every status transition with its time and reason. Without --once
// it runs until SIGINT/SIGTERM. Parsing and printing only: the work is src/service/poller.ts.
import { Command, InvalidArgumentError } from 'commander';
import pc from 'picocolors';
import { parseDuration } from '../../service/control-plane.js';
import { KeyPoller, pollOnce, type KeyTransition, type PollReport } from '../../service/poller.js';
import { common, openEmbeddedPlane, printJson, split, type PlaneOptions } from './service.js';

/** commander parser for a Go-style duration, in milliseconds. */
export function durationMs(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0)
    throw new InvalidArgumentError('expected a Go-style duration such as 1s, 30s or 10m');
  return ms;
}

function colour(s: string): string {
  return s === 'RUNNING' ? pc.green(s) : s === 'SUSPENDED' ? pc.yellow(s) : pc.red(s);
}

/** One line per transition: `TIME  NAME (PROFILE)  FROM → TO  REASON`. */
export function transitionLine(t: KeyTransition): string {
  return `${t.time}  ${t.name} (${t.profile})  ${colour(t.from)} → ${colour(t.to)}  ${t.reason}`;
}

/** The lines of a pass: transitions, then errors. `verbose` adds every check. */
export function reportLines(r: PollReport, verbose = false): string[] {
  const lines: string[] = [];
  if (verbose) {
    for (const c of r.checked) {
      const moved = r.transitions.some((t) => t.serviceId === c.serviceId);
      if (moved) continue;
      lines.push(
        `${r.time}  ${c.name}  ${colour(c.status)}  ` +
          (c.ok ? 'key OK' : `key check failed: ${c.problem ?? ''}`),
      );
    }
  }
  for (const t of r.transitions) lines.push(transitionLine(t));
  for (const e of r.errors)
    lines.push(`${r.time}  ${e.name}  ${pc.red('check not done')}: ${e.message}`);
  return lines;
}

interface PollOpts extends PlaneOptions {
  once?: boolean;
  all?: boolean;
  interval?: number;
}

export function register(program: Command): void {
  common(
    program
      .command('poll')
      .description(
        'Check the keys of the services that are due (every key_check_interval): an\n' +
          'inaccessible key stops a clickhouse service (until `cmek service start`) and\n' +
          'suspends a cloudsql one (it resumes at a later check once the key is back); a\n' +
          'destroyed key leaves the data unrecoverable. Prints every status transition.',
      ),
  )
    .option('--once', 'one pass, then exit (else run until SIGINT/SIGTERM)')
    .option('--all', 'check every service now, due or not')
    .option(
      '--interval <duration>',
      "override every service's key_check_interval (e.g. 1s)",
      durationMs,
    )
    .option('--json', 'machine-readable output (--once: the report; else one report per line)')
    .action(async (...all: unknown[]) => {
      const [, o] = split<[], PollOpts>(all);
      const cp = await openEmbeddedPlane(o);
      const poll = {
        ...(o.all ? { all: true } : {}),
        ...(o.interval !== undefined ? { intervalMs: o.interval } : {}),
      };
      if (o.once) {
        const r = await pollOnce(cp, poll);
        if (o.json) return printJson(r);
        for (const l of reportLines(r, true)) process.stdout.write(`${l}\n`);
        process.stdout.write(
          `Checked ${r.checked.length} service(s), ${r.skipped} not due; ` +
            `${r.transitions.length} transition(s).\n`,
        );
        if (r.errors.length) process.exitCode = 1;
        return;
      }
      await runUntilSignal(
        new KeyPoller(cp, {
          ...(o.interval !== undefined ? { intervalMs: o.interval } : {}),
          onReport: (r) => {
            if (o.json) {
              if (r.checked.length || r.errors.length)
                process.stdout.write(`${JSON.stringify(r)}\n`);
              return;
            }
            for (const l of reportLines(r)) process.stdout.write(`${l}\n`);
          },
          onError: (e) => process.stderr.write(`poll: ${(e as Error).message}\n`),
        }),
        'poll',
        () => {
          cp.keys.cache.purge();
        },
      );
    });
}

/** Start `poller`, wait for SIGINT/SIGTERM, stop it (the pass in flight completes), run
 * `cleanup`, return. Shared with `cmek server`. */
export async function runUntilSignal(
  poller: KeyPoller,
  who: string,
  cleanup: () => void | Promise<void>,
  ready?: () => void,
): Promise<void> {
  let signalled!: (s: NodeJS.Signals) => void;
  const signal = new Promise<NodeJS.Signals>((resolve) => (signalled = resolve));
  const on = (s: NodeJS.Signals) => signalled(s);
  // Handlers first, so a supervisor that signals right after "ready" is honoured.
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  try {
    poller.start();
    ready?.();
    const s = await signal;
    process.stderr.write(`${who}: ${s}, shutting down\n`);
    await poller.stop();
    await cleanup();
  } finally {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
  }
}
