// The gRPC services of the plugin: every tfplugin6 Provider RPC cmek serves, mapped onto a
// ProviderHandler (DynamicValues decoded by the schema into plain values, results encoded
// back), go-plugin's GRPCController (Shutdown) and the gRPC health check. RPCs not declared in
// proto/tfplugin6.proto are answered UNIMPLEMENTED by grpc-js. A failure inside a handler
// becomes an error diagnostic (no stack trace reaches terraform's user; the stack goes to the
// debug log).

import * as grpc from '@grpc/grpc-js';
import { isUnknown, type Value } from '../../model/values.js';
import type {
  CtyType,
  ProviderHandler,
  ProviderSchemas,
  TfBlock,
  TfDiagnostic,
  TfObject,
} from '../handler.js';
import {
  blockType,
  CtyError,
  decodeJson,
  decodeMsgpack,
  encodeMsgpack,
  parseJsonExact,
} from './cty.js';
import type { Logger } from './log.js';
import { toProtoPath } from './paths.js';
import { serviceDefinition } from './proto.js';
import { diagnosticsToProto, schemasToProto, type ProtoDiagnostic } from './schema.js';

interface DynamicValue {
  msgpack?: Buffer;
  json?: Buffer;
}

/** What a decoded request looks like (snake_case as in the .proto). */
type Req = Record<string, unknown> & {
  type_name?: string;
  config?: DynamicValue | null;
};

interface Kind {
  block: TfBlock;
  type: CtyType;
  version: number;
}

export interface PluginServices {
  /** The provider: called once, by the first RPC that needs it (serve.ts starts loading it
   * right after the handshake line). */
  handler: () => Promise<ProviderHandler>;
  log: Logger;
  /** go-plugin's Shutdown: stop serving and exit. */
  onShutdown: () => void;
}

/** A DynamicValue as a value of `type` (empty = null). */
export function decodeDynamic(dv: DynamicValue | null | undefined, type: CtyType): Value {
  if (dv?.msgpack && dv.msgpack.length > 0) return decodeMsgpack(dv.msgpack, type);
  if (dv?.json && dv.json.length > 0) return decodeJson(dv.json, type);
  return null;
}

function asObject(v: Value): TfObject | null {
  if (v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v) || isUnknown(v))
    throw new CtyError('expected an object value');
  return v as TfObject;
}

/** A DynamicValue field of a request as an object of the kind's type (null when null). */
function objectOf(dv: unknown, kind: Kind): TfObject | null {
  return asObject(decodeDynamic(dv as DynamicValue | null | undefined, kind.type));
}

function encodeDynamic(v: Value | null, kind: Kind): DynamicValue {
  return { msgpack: Buffer.from(encodeMsgpack(v, kind.type, kind.block)) };
}

function errorDiag(
  summary: string,
  detail: string,
  attribute?: readonly (string | number)[],
): TfDiagnostic {
  return attribute?.length
    ? { severity: 'error', summary, detail, attribute }
    : { severity: 'error', summary, detail };
}

/** What the plugin tells terraform it supports, in GetMetadata and GetProviderSchema.
 * plan_destroy: PlanResourceChange is called for destroys too (the key-removal rules need it).
 * get_provider_schema_optional: terraform keeps the schema of the first launch of a command in
 * its process-wide cache and skips GetProviderSchema in the later launches (validate walk, plan
 * walk, apply walk); every RPC here works without it (the schemas are the provider's own). */
export const SERVER_CAPABILITIES = {
  plan_destroy: true,
  get_provider_schema_optional: true,
} as const;

/** Add the tfplugin6 Provider, GRPCController and health services to `server`. */
export function addPluginServices(server: grpc.Server, opts: PluginServices): void {
  let provider: Promise<ProviderHandler> | undefined;
  let schemas: ProviderSchemas | undefined;
  const kinds = { resources: new Map<string, Kind>(), dataSources: new Map<string, Kind>() };
  let providerKind: Kind | undefined;

  const get = async (): Promise<ProviderHandler> => {
    provider ??= opts.handler();
    const h = await provider;
    if (!schemas) {
      schemas = h.schemas();
      providerKind = {
        block: schemas.provider.block,
        type: blockType(schemas.provider.block),
        version: schemas.provider.version,
      };
      for (const [name, s] of Object.entries(schemas.resources))
        kinds.resources.set(name, { block: s.block, type: blockType(s.block), version: s.version });
      for (const [name, s] of Object.entries(schemas.dataSources))
        kinds.dataSources.set(name, {
          block: s.block,
          type: blockType(s.block),
          version: s.version,
        });
    }
    return h;
  };
  const kindOf = (which: 'resources' | 'dataSources', name: string | undefined): Kind => {
    const k = kinds[which].get(name ?? '');
    if (!k) {
      const what = which === 'resources' ? 'resource' : 'data source';
      throw new UserError(
        `Unknown ${what} type "${name}"`,
        `The cmek provider has no ${what} type "${name}". Known: ${[...kinds[which].keys()].join(', ')}.`,
      );
    }
    return k;
  };

  /** Run one RPC: failures become error diagnostics in the response's `diagnostics`. */
  const rpc =
    (
      name: string,
      run: (req: Req, h: ProviderHandler) => Promise<Record<string, unknown>>,
      kindFor?: (req: Req) => Kind | undefined,
    ) =>
    (call: grpc.ServerUnaryCall<Req, unknown>, callback: grpc.sendUnaryData<unknown>): void => {
      const started = performance.now();
      opts.log.log('trace', `${name} called`, { type_name: call.request.type_name });
      void (async () => {
        let h: ProviderHandler;
        try {
          h = await get();
          const out = await run(call.request, h);
          opts.log.log('trace', `${name} done`, { ms: Math.round(performance.now() - started) });
          callback(null, out);
        } catch (e) {
          let kind: Kind | undefined;
          try {
            kind = kindFor?.(call.request);
          } catch {
            kind = undefined;
          }
          callback(null, { diagnostics: [failure(name, e, opts.log, kind)] });
        }
      })();
    };

  const resourceKind = (req: Req): Kind => kindOf('resources', req.type_name);
  const dataKind = (req: Req): Kind => kindOf('dataSources', req.type_name);
  const diags = (ds: readonly TfDiagnostic[] | undefined, kind?: Kind): ProtoDiagnostic[] =>
    diagnosticsToProto(ds, kind?.type);

  const provider6 = {
    GetMetadata: rpc('GetMetadata', async () => ({
      server_capabilities: SERVER_CAPABILITIES,
      resources: [...kinds.resources.keys()].map((type_name) => ({ type_name })),
      data_sources: [...kinds.dataSources.keys()].map((type_name) => ({ type_name })),
    })),
    GetProviderSchema: rpc('GetProviderSchema', async () => ({
      ...schemasToProto(schemas!),
      server_capabilities: SERVER_CAPABILITIES,
    })),
    ValidateProviderConfig: rpc('ValidateProviderConfig', async (req, h) => {
      const config = objectOf(req.config, providerKind!) ?? {};
      return { diagnostics: diags(h.validateProviderConfig(config), providerKind) };
    }),
    ConfigureProvider: rpc('ConfigureProvider', async (req, h) => {
      const config = objectOf(req.config, providerKind!) ?? {};
      const tfVersion = String(req.terraform_version ?? '');
      return { diagnostics: diags(await h.configureProvider(config, tfVersion), providerKind) };
    }),
    ValidateResourceConfig: rpc(
      'ValidateResourceConfig',
      async (req, h) => {
        const kind = resourceKind(req);
        const config = objectOf(req.config, kind) ?? {};
        return { diagnostics: diags(h.validateResourceConfig(req.type_name!, config), kind) };
      },
      resourceKind,
    ),
    ValidateDataResourceConfig: rpc(
      'ValidateDataResourceConfig',
      async (req, h) => {
        const kind = dataKind(req);
        const config = objectOf(req.config, kind) ?? {};
        return { diagnostics: diags(h.validateDataResourceConfig(req.type_name!, config), kind) };
      },
      dataKind,
    ),
    UpgradeResourceState: rpc(
      'UpgradeResourceState',
      async (req, h) => {
        const kind = resourceKind(req);
        const raw = req.raw_state as { json?: Buffer; flatmap?: Record<string, string> } | null;
        if (!raw?.json?.length) {
          throw new UserError(
            'Unsupported state format',
            "This resource's state is in the flatmap format of terraform 0.11 and earlier, which the cmek provider does not read. Remove it from the state (`terraform state rm`) and import it again.",
          );
        }
        let parsed: unknown;
        const version = Number(req.version ?? 0);
        try {
          // State of the current schema version is cty JSON of the current type: decoded by it
          // (dynamic attributes unwrapped from {value, type}); older versions go as plain JSON
          // for the provider to upgrade.
          parsed = version === kind.version ? decodeOrUndefined(raw.json, kind.type) : undefined;
          parsed ??= parseJsonExact(raw.json.toString('utf8'));
        } catch (e) {
          throw new UserError(
            'Unreadable resource state',
            `The stored state is not JSON: ${(e as Error).message}`,
          );
        }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
          throw new UserError(
            'Unreadable resource state',
            'The stored state is not a JSON object.',
          );
        const r = h.upgradeResourceState(
          req.type_name!,
          version,
          parsed as Record<string, unknown>,
        );
        return {
          upgraded_state: encodeDynamic(r.state, kind),
          diagnostics: diags(r.diagnostics, kind),
        };
      },
      resourceKind,
    ),
    ReadResource: rpc(
      'ReadResource',
      async (req, h) => {
        const kind = resourceKind(req);
        const current = objectOf(req.current_state, kind) ?? {};
        const r = await h.readResource(req.type_name!, current, bytes(req.private));
        return {
          new_state: encodeDynamic(r.state, kind),
          private: Buffer.from(r.private ?? new Uint8Array()),
          diagnostics: diags(r.diagnostics, kind),
        };
      },
      resourceKind,
    ),
    PlanResourceChange: rpc(
      'PlanResourceChange',
      async (req, h) => {
        const kind = resourceKind(req);
        const prior = objectOf(req.prior_state, kind);
        const proposed = objectOf(req.proposed_new_state, kind);
        const config = objectOf(req.config, kind);
        const r = await h.planResourceChange(
          req.type_name!,
          prior,
          proposed,
          config,
          bytes(req.prior_private),
        );
        return {
          planned_state: encodeDynamic(r.plannedState, kind),
          requires_replace: (r.requiresReplace ?? []).map((p) => toProtoPath(p, kind.type)),
          planned_private: Buffer.from(r.plannedPrivate ?? new Uint8Array()),
          diagnostics: diags(r.diagnostics, kind),
        };
      },
      resourceKind,
    ),
    ApplyResourceChange: rpc(
      'ApplyResourceChange',
      async (req, h) => {
        const kind = resourceKind(req);
        const prior = objectOf(req.prior_state, kind);
        const planned = objectOf(req.planned_state, kind);
        const config = objectOf(req.config, kind);
        const r = await h.applyResourceChange(
          req.type_name!,
          prior,
          planned,
          config,
          bytes(req.planned_private),
        );
        return {
          new_state: encodeDynamic(r.state, kind),
          private: Buffer.from(r.private ?? new Uint8Array()),
          diagnostics: diags(r.diagnostics, kind),
        };
      },
      resourceKind,
    ),
    ImportResourceState: rpc(
      'ImportResourceState',
      async (req, h) => {
        const kind = resourceKind(req);
        const r = await h.importResourceState(req.type_name!, String(req.id ?? ''));
        return {
          imported_resources: r.imported.map((i) => ({
            type_name: i.typeName,
            state: encodeDynamic(i.state, kindOf('resources', i.typeName)),
            private: Buffer.from(i.private ?? new Uint8Array()),
          })),
          diagnostics: diags(r.diagnostics, kind),
        };
      },
      resourceKind,
    ),
    ReadDataSource: rpc(
      'ReadDataSource',
      async (req, h) => {
        const kind = dataKind(req);
        const config = objectOf(req.config, kind) ?? {};
        const r = await h.readDataSource(req.type_name!, config);
        return { state: encodeDynamic(r.state, kind), diagnostics: diags(r.diagnostics, kind) };
      },
      dataKind,
    ),
    StopProvider: (
      _call: grpc.ServerUnaryCall<Req, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      void (async () => {
        try {
          if (provider) await (await provider).stop();
          callback(null, { Error: '' });
        } catch (e) {
          callback(null, { Error: (e as Error).message });
        }
      })();
    },
  };
  server.addService(serviceDefinition('tfplugin6.Provider'), provider6);

  server.addService(serviceDefinition('plugin.GRPCController'), {
    Shutdown: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
      opts.log.log('debug', 'Shutdown called by terraform');
      void (async () => {
        try {
          if (provider) await (await provider).stop();
        } catch (e) {
          opts.log.log('warn', `stopping the provider failed: ${(e as Error).message}`);
        }
        callback(null, {});
        opts.onShutdown();
      })();
    },
  });
  server.addService(serviceDefinition('grpc.health.v1.Health'), {
    Check: (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
      callback(null, { status: 'SERVING' }),
  });
}

/** A failure the user can act on: its summary and detail go to terraform as they are. */
export class UserError extends Error {
  constructor(
    readonly summary: string,
    readonly detail: string,
  ) {
    super(summary);
  }
}

/** Raw state decoded by the current type, or undefined where it does not fit it (an attribute
 * removed without a version bump): the provider then gets the plain JSON. */
function decodeOrUndefined(json: Buffer, type: CtyType): Value | undefined {
  try {
    return decodeJson(json, type);
  } catch {
    return undefined;
  }
}

function bytes(b: unknown): Uint8Array {
  return b instanceof Uint8Array ? b : new Uint8Array();
}

function failure(
  rpcName: string,
  e: unknown,
  log: Logger,
  kind: Kind | undefined,
): ProtoDiagnostic {
  if (e instanceof UserError) return diagnosticsToProto([errorDiag(e.summary, e.detail)])[0]!;
  if (e instanceof CtyError) {
    return diagnosticsToProto(
      [
        errorDiag(
          'Invalid value from terraform',
          `The cmek provider could not read a value in ${rpcName}: ${e.message}.`,
          e.path,
        ),
      ],
      kind?.type,
    )[0]!;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  log.log('debug', `${rpcName} failed`, { error: err.message, stack: err.stack });
  return diagnosticsToProto([
    errorDiag(
      `INTERNAL: the cmek provider failed in ${rpcName}`,
      `${err.message}\n\nThis is a bug in the cmek provider; run with TF_LOG_PROVIDER=DEBUG for the details and report it.`,
    ),
  ])[0]!;
}
