// The one list of remote control-plane operations. Each is a method path of ControlPlaneApi
// (src/service/api.ts); the server (server.ts) routes `/cp/v1/<name>` to the embedded plane's
// method of that path, the client (client.ts) builds its methods from the same list, so a route
// exists once. Three shapes: `json` (arguments and result as JSON), `upload` (the object body
// streams in the request), `download` (the object body streams in the response).
import type { Diagnostic } from '../../model/diagnostics.js';
import { DiagnosticError } from '../../model/diagnostics.js';
import type { ControlPlaneApi, KeyCheckOutcome } from '../api.js';

export type OperationKind = 'json' | 'upload' | 'download';

export interface Operation {
  /** Method path in ControlPlaneApi, e.g. `objects.put`; the route is `/cp/v1/<name>`. */
  readonly name: string;
  readonly kind: OperationKind;
  /** Client side: the arguments that travel (default all). */
  send?(args: unknown[]): unknown[];
  /** Server side: run it on the embedded plane and return what travels back as JSON. */
  serve?(cp: ControlPlaneApi, args: unknown[]): Promise<unknown>;
  /** Client side: the method's result from what travelled back. */
  receive?(wire: unknown, args: unknown[]): unknown;
}

/** Method paths of ControlPlaneApi, one per operation. */
export const OPERATIONS: readonly Operation[] = [
  {
    name: 'list',
    kind: 'json',
    // `problems` is an out-parameter: it stays here, what the server found comes back.
    send: () => [],
    serve: async (cp) => {
      const problems: Diagnostic[] = [];
      const result = await cp.list(problems);
      return { result, problems };
    },
    receive: (wire, args) => {
      const w = wire as { result: unknown; problems: Diagnostic[] };
      const out = args[0] as Diagnostic[] | undefined;
      if (w.problems.length) {
        if (!out) throw new DiagnosticError(w.problems);
        out.push(...w.problems);
      }
      return w.result;
    },
  },
  { name: 'get', kind: 'json' },
  { name: 'require', kind: 'json' },
  { name: 'events', kind: 'json' },
  { name: 'create', kind: 'json' },
  { name: 'update', kind: 'json' },
  { name: 'start', kind: 'json' },
  {
    name: 'checkKey',
    kind: 'json',
    // The failure is a DiagnosticError: its diagnostics travel, the error is rebuilt here.
    serve: async (cp, args) => {
      const r = await cp.checkKey(...(args as Parameters<ControlPlaneApi['checkKey']>));
      return {
        record: r.record,
        previous: r.previous,
        ...(r.failure ? { failure: r.failure.diagnostics } : {}),
      };
    },
    receive: (wire): KeyCheckOutcome => {
      const w = wire as Omit<KeyCheckOutcome, 'failure'> & { failure?: Diagnostic[] };
      return {
        record: w.record,
        previous: w.previous,
        ...(w.failure ? { failure: new DiagnosticError(w.failure) } : {}),
      };
    },
  },
  { name: 'delete', kind: 'json' },
  { name: 'objects.put', kind: 'upload' },
  { name: 'objects.get', kind: 'download' },
  { name: 'objects.stat', kind: 'json' },
  { name: 'objects.list', kind: 'json' },
  { name: 'objects.remove', kind: 'json' },
  { name: 'backups.create', kind: 'json' },
  { name: 'backups.get', kind: 'json' },
  { name: 'backups.list', kind: 'json' },
  { name: 'backups.delete', kind: 'json' },
  { name: 'lifecycle.createReplica', kind: 'json' },
  { name: 'lifecycle.createClone', kind: 'json' },
  { name: 'lifecycle.restore', kind: 'json' },
  { name: 'lifecycle.finish', kind: 'json' },
  { name: 'lifecycle.followPrimaryKey', kind: 'json' },
];

/** Path prefix of the control-plane routes (the KMS wire protocol is served on `/`). */
export const ROUTE_PREFIX = '/cp/v1/';

/** SigV4 service name of the control-plane routes (the KMS routes use `kms`). */
export const SIGNING_SERVICE = 'cmek';

/** Signed header carrying a fresh random value per request: the server refuses a signature it
 * has seen before (replay). */
export const NONCE_HEADER = 'x-cmek-nonce';

/** Signed header carrying the arguments of an upload (its body is the object). */
export const ARGS_HEADER = 'x-cmek-args';

const BY_NAME = new Map(OPERATIONS.map((o) => [o.name, o]));

export function operationNamed(name: string): Operation | undefined {
  return BY_NAME.get(name);
}

/** The embedded method an operation name designates, bound to its object. */
export function methodOf(
  cp: ControlPlaneApi,
  name: string,
): (...args: unknown[]) => Promise<unknown> {
  const parts = name.split('.');
  let target: unknown = cp;
  for (const p of parts.slice(0, -1)) target = (target as Record<string, unknown>)[p];
  const fn = (target as Record<string, unknown>)[parts[parts.length - 1]!];
  if (typeof fn !== 'function') throw new Error(`control plane has no method ${name}`);
  return (fn as (...a: unknown[]) => Promise<unknown>).bind(target);
}
