// The plugin server in-process, through real gRPC: the handshake environment and line, mutual
// TLS (a client holding terraform's certificate connects; one with another certificate is
// refused), plaintext with TF_DISABLE_PLUGIN_TLS, every Provider RPC mapped onto the handler
// (values through the msgpack codec), UNIMPLEMENTED for RPCs not served, the health check and
// go-plugin's Shutdown.
import * as grpc from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Unknown } from '../../../src/model/values.js';
import { blockType, decodeMsgpack, encodeMsgpack } from '../../../src/terraform/wire/cty.js';
import {
  HandshakeError,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  readHandshakeEnv,
} from '../../../src/terraform/wire/handshake.js';
import { createLogger } from '../../../src/terraform/wire/log.js';
import { serviceDefinition } from '../../../src/terraform/wire/proto.js';
import { servePlugin, type RunningPlugin } from '../../../src/terraform/wire/serve.js';
import { createServerCert, type ServerCert } from '../../../src/terraform/wire/tls.js';
import { createProbeProvider } from './probe-provider.js';

const COOKIE = { [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE };
const LINE = /^1\|6\|tcp\|127\.0\.0\.1:(\d+)\|grpc\|([A-Za-z0-9+/]*)\n$/;
const quiet = createLogger({ TF_LOG: 'off' });

describe('handshake environment', () => {
  it('refuses to run without the magic cookie, saying what the program is', () => {
    expect(() => readHandshakeEnv({})).toThrow(HandshakeError);
    expect(() => readHandshakeEnv({})).toThrow(
      /not meant to be run by hand[\s\S]*cmek provider install/,
    );
  });
  it('negotiates protocol 6 and reads the port range', () => {
    expect(readHandshakeEnv({ ...COOKIE, PLUGIN_PROTOCOL_VERSIONS: '5,6' })).toMatchObject({
      tls: false,
      minPort: 0,
    });
    expect(() => readHandshakeEnv({ ...COOKIE, PLUGIN_PROTOCOL_VERSIONS: '4,5' })).toThrow(
      /protocol 6/,
    );
    expect(() => readHandshakeEnv({ ...COOKIE, PLUGIN_MIN_PORT: 'x' })).toThrow(/PLUGIN_MIN_PORT/);
    expect(() =>
      readHandshakeEnv({ ...COOKIE, PLUGIN_MIN_PORT: '20', PLUGIN_MAX_PORT: '10' }),
    ).toThrow(/greater/);
  });
  it('uses TLS when given a client certificate, unless TF_DISABLE_PLUGIN_TLS', () => {
    expect(readHandshakeEnv({ ...COOKIE, PLUGIN_CLIENT_CERT: 'PEM' })).toMatchObject({
      tls: true,
      clientCert: 'PEM',
    });
    expect(
      readHandshakeEnv({ ...COOKIE, PLUGIN_CLIENT_CERT: 'PEM', TF_DISABLE_PLUGIN_TLS: '1' }).tls,
    ).toBe(false);
  });
});

const Provider = grpc.makeGenericClientConstructor(
  serviceDefinition('tfplugin6.Provider'),
  'Provider',
);
const Controller = grpc.makeGenericClientConstructor(
  serviceDefinition('plugin.GRPCController'),
  'C',
);
const Health = grpc.makeGenericClientConstructor(serviceDefinition('grpc.health.v1.Health'), 'H');

function call<T>(client: grpc.Client, method: string, req: object): Promise<T> {
  return new Promise((resolve, reject) =>
    (client as unknown as Record<string, (r: object, cb: (e: Error | null, v: T) => void) => void>)[
      method
    ]!(req, (e, v) => (e ? reject(e) : resolve(v))),
  );
}

function pemOf(handshakeField: string): string {
  const der = Buffer.from(handshakeField, 'base64');
  return new X509Certificate(der).toString();
}

let running: RunningPlugin | undefined;
const clients: grpc.Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await running?.stop();
  running = undefined;
});

async function start(env: NodeJS.ProcessEnv, exits: number[] = []): Promise<RunningPlugin> {
  running = await servePlugin(createProbeProvider, {
    env: { ...COOKIE, ...env },
    writeLine: () => {},
    exit: (c) => exits.push(c),
    log: quiet,
  });
  return running;
}

describe('mutual TLS', () => {
  it(
    "serves the client holding terraform's certificate and refuses another",
    { timeout: 60_000 },
    async () => {
      const terraform: ServerCert = await createServerCert();
      const stranger: ServerCert = await createServerCert();
      const p = await start({ PLUGIN_CLIENT_CERT: terraform.certPem });
      const m = LINE.exec(p.line);
      expect(m, p.line).not.toBeNull();
      expect(Number(m![1])).toBe(p.port);
      expect(m![2]).not.toMatch(/=$/);
      const serverPem = pemOf(m![2]!);
      const cert = new X509Certificate(serverPem);
      expect(cert.subjectAltName).toContain('DNS:localhost');
      const opts = {
        'grpc.ssl_target_name_override': 'localhost',
        'grpc.default_authority': 'localhost',
      };

      const good = new Provider(
        `127.0.0.1:${p.port}`,
        grpc.credentials.createSsl(
          Buffer.from(serverPem),
          Buffer.from(terraform.keyPem),
          Buffer.from(terraform.certPem),
        ),
        opts,
      );
      clients.push(good);
      const schema = await call<{ resource_schemas: Record<string, unknown> }>(
        good,
        'GetProviderSchema',
        {},
      );
      expect(Object.keys(schema.resource_schemas).sort()).toEqual([
        'cmek_probe',
        'cmek_probe_consumer',
      ]);

      const bad = new Provider(
        `127.0.0.1:${p.port}`,
        grpc.credentials.createSsl(
          Buffer.from(serverPem),
          Buffer.from(stranger.keyPem),
          Buffer.from(stranger.certPem),
        ),
        opts,
      );
      clients.push(bad);
      await expect(call(bad, 'GetProviderSchema', {})).rejects.toMatchObject({
        code: grpc.status.UNAVAILABLE,
      });

      const anonymous = new Provider(
        `127.0.0.1:${p.port}`,
        grpc.credentials.createSsl(Buffer.from(serverPem)),
        opts,
      );
      clients.push(anonymous);
      await expect(call(anonymous, 'GetProviderSchema', {})).rejects.toMatchObject({
        code: grpc.status.UNAVAILABLE,
      });
    },
  );
});

describe('the Provider service over plaintext (TF_DISABLE_PLUGIN_TLS)', () => {
  it(
    'maps the RPCs onto the handler, with values through the codec',
    { timeout: 60_000 },
    async () => {
      const exits: number[] = [];
      const p = await start({ TF_DISABLE_PLUGIN_TLS: '1' }, exits);
      expect(p.line).toMatch(/^1\|6\|tcp\|127\.0\.0\.1:\d+\|grpc\|\n$/);
      const c = new Provider(`127.0.0.1:${p.port}`, grpc.credentials.createInsecure());
      clients.push(c);

      const meta = await call<{
        resources: { type_name: string }[];
        server_capabilities: { plan_destroy: boolean; get_provider_schema_optional: boolean };
      }>(c, 'GetMetadata', {});
      expect(meta.resources.map((r) => r.type_name).sort()).toEqual([
        'cmek_probe',
        'cmek_probe_consumer',
      ]);
      expect(meta.server_capabilities.plan_destroy).toBe(true);
      // terraform may reuse the first launch's schema instead of asking every launch.
      expect(meta.server_capabilities.get_provider_schema_optional).toBe(true);

      const schemas = createProbeProvider().schemas();
      const probe = schemas.resources.cmek_probe!;
      const t = blockType(probe.block);
      const config = { name: 'k', region: 'eu-west-1', tags: { a: 'b' }, big: '9007199254740993' };
      const dv = (v: object | null) => ({
        msgpack: Buffer.from(encodeMsgpack(v as never, t, probe.block)),
      });

      const plan = await call<{ planned_state: { msgpack: Buffer }; diagnostics: unknown[] }>(
        c,
        'PlanResourceChange',
        {
          type_name: 'cmek_probe',
          prior_state: dv(null),
          proposed_new_state: dv(config),
          config: dv(config),
        },
      );
      expect(plan.diagnostics).toEqual([]);
      const planned = decodeMsgpack(plan.planned_state.msgpack, t) as Record<string, unknown>;
      expect(planned.big).toBe('9007199254740993');
      expect((planned.arn as Unknown).refinement).toEqual({
        notNull: true,
        prefix: 'arn:probe:eu-west-1:',
      });
      expect(planned.rule).toEqual([]);

      const applied = await call<{ new_state: { msgpack: Buffer } }>(c, 'ApplyResourceChange', {
        type_name: 'cmek_probe',
        prior_state: dv(null),
        planned_state: plan.planned_state,
        config: dv(config),
      });
      expect(decodeMsgpack(applied.new_state.msgpack, t)).toMatchObject({
        id: 'cmek_probe-k',
        arn: 'arn:probe:eu-west-1:k',
      });

      // A diagnostic with an attribute path.
      const invalid = await call<{
        diagnostics: { severity: string; summary: string; attribute: { steps: unknown[] } }[];
      }>(c, 'ValidateResourceConfig', {
        type_name: 'cmek_probe',
        config: dv({ ...config, name: 'invalid' }),
      });
      expect(invalid.diagnostics[0]).toMatchObject({
        severity: 'ERROR',
        summary: expect.stringContaining('PROBE_INVALID'),
        attribute: {
          steps: [expect.objectContaining({ attribute_name: 'name', selector: 'attribute_name' })],
        },
      });

      // UpgradeResourceState reads raw JSON state.
      const up = await call<{ upgraded_state: { msgpack: Buffer }; diagnostics: unknown[] }>(
        c,
        'UpgradeResourceState',
        {
          type_name: 'cmek_probe',
          version: 1,
          raw_state: {
            json: Buffer.from('{"name":"k","region":"r","big":12345678901234567890}'),
          },
        },
      );
      expect(decodeMsgpack(up.upgraded_state.msgpack, t)).toMatchObject({
        name: 'k',
        region: 'r',
        tags: null,
      });
      const flat = await call<{ diagnostics: { summary: string }[] }>(c, 'UpgradeResourceState', {
        type_name: 'cmek_probe',
        raw_state: { flatmap: { id: 'x' } },
      });
      expect(flat.diagnostics[0]!.summary).toBe('Unsupported state format');

      // Garbage from the client becomes a diagnostic, not a crash.
      const garbage = await call<{ diagnostics: { summary: string; detail: string }[] }>(
        c,
        'ReadResource',
        {
          type_name: 'cmek_probe',
          current_state: { msgpack: Buffer.from([0xc1]) },
        },
      );
      expect(garbage.diagnostics[0]!.summary).toBe('Invalid value from terraform');
      const unknownType = await call<{ diagnostics: { summary: string }[] }>(c, 'ReadResource', {
        type_name: 'nope',
      });
      expect(unknownType.diagnostics[0]!.summary).toMatch(/Unknown resource type "nope"/);

      const imported = await call<{
        imported_resources: { type_name: string; state: { msgpack: Buffer } }[];
      }>(c, 'ImportResourceState', { type_name: 'cmek_probe', id: 'abc' });
      expect(decodeMsgpack(imported.imported_resources[0]!.state.msgpack, t)).toMatchObject({
        id: 'abc',
        tags: null,
      });

      const echo = schemas.dataSources.cmek_probe_echo!;
      const et = blockType(echo.block);
      const read = await call<{ state: { msgpack: Buffer } }>(c, 'ReadDataSource', {
        type_name: 'cmek_probe_echo',
        config: { msgpack: Buffer.from(encodeMsgpack({ input: 'hi', output: null }, et)) },
      });
      expect(decodeMsgpack(read.state.msgpack, et)).toEqual({ input: 'hi', output: 'HI' });

      // An RPC this provider does not serve: UNIMPLEMENTED, cleanly.
      await expect(
        new Promise((resolve, reject) =>
          c.makeUnaryRequest(
            '/tfplugin6.Provider/GetFunctions',
            () => Buffer.alloc(0),
            (b: Buffer) => b,
            {},
            (e, v) => (e ? reject(e) : resolve(v)),
          ),
        ),
      ).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });

      expect(await call(c, 'StopProvider', {})).toEqual({ Error: '' });
      const h = new Health(`127.0.0.1:${p.port}`, grpc.credentials.createInsecure());
      clients.push(h);
      expect(await call(h, 'Check', { service: 'plugin' })).toEqual({ status: 'SERVING' });

      const ctl = new Controller(`127.0.0.1:${p.port}`, grpc.credentials.createInsecure());
      clients.push(ctl);
      expect(await call(ctl, 'Shutdown', {})).toEqual({});
      await new Promise((r) => setTimeout(r, 300));
      expect(exits).toEqual([0]);
    },
  );

  it('binds inside PLUGIN_MIN_PORT..PLUGIN_MAX_PORT', { timeout: 30_000 }, async () => {
    const base = 20000 + Math.floor(Math.random() * 20000);
    const p = await start({
      TF_DISABLE_PLUGIN_TLS: '1',
      PLUGIN_MIN_PORT: String(base),
      PLUGIN_MAX_PORT: String(base + 50),
    });
    expect(p.port).toBeGreaterThanOrEqual(base);
    expect(p.port).toBeLessThanOrEqual(base + 50);
  });
});
