// Test support for the Pulumi integration without a pulumi CLI: a program directory whose
// node_modules holds the built `cmek` package (the build test/e2e/harness.ts makes for the CLI),
// the `__provider` strings Pulumi's closure serialization produces for our resources (in a
// plain node child running that package under pulumi.runtime.setMocks, as a user program
// would), and the SDK's own dynamic-provider host driven over gRPC with the SDK's generated
// stubs, as the Pulumi engine drives it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { cliBin, ROOT } from '../e2e/harness.js';

const pulumiDir = dirname(
  createRequire(join(ROOT, 'package.json')).resolve('@pulumi/pulumi/package.json'),
);
const fromPulumi = createRequire(join(pulumiDir, 'package.json'));

/* eslint-disable @typescript-eslint/no-explicit-any -- the SDK's generated stubs are untyped JS */
const grpc = fromPulumi('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
const provrpc = fromPulumi('./proto/provider_grpc_pb.js') as any;
const provproto = fromPulumi('./proto/provider_pb.js') as any;
const structproto = fromPulumi('google-protobuf/google/protobuf/struct_pb.js') as any;
const emptyproto = fromPulumi('google-protobuf/google/protobuf/empty_pb.js') as any;
const analyzerrpc = fromPulumi('./proto/analyzer_grpc_pb.js') as any;
const analyzerproto = fromPulumi('./proto/analyzer_pb.js') as any;

/** The built package directory (dist/, package.json with the exports, node_modules link). */
export function builtPackage(): string {
  return resolve(dirname(cliBin()), '..', '..');
}

/** A fresh "Pulumi program" directory: node_modules/cmek is the built package. */
export function programDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmek-pulumi-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(builtPackage(), join(dir, 'node_modules', 'cmek'));
  // A Pulumi program depends on @pulumi/pulumi itself.
  symlinkSync(dirname(pulumiDir), join(dir, 'node_modules', '@pulumi'));
  return dir;
}

/** Run `code` (an ES module) with node in `dir`; returns stdout, fails loudly otherwise. */
export function runNode(dir: string, code: string): string {
  const file = join(dir, `script-${process.hrtime.bigint()}.mjs`);
  writeFileSync(file, code);
  const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`node ${file} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

/** The `__provider` string closure serialization produced for each class, and the type token
 * and inputs Pulumi registered (one resource of each class, under setMocks). */
export function serializedProviders(
  dir: string,
): Record<string, { token: string; provider: string }> {
  const out = runNode(
    dir,
    `import * as pulumi from '@pulumi/pulumi';
const seen = {};
pulumi.runtime.setMocks({
  newResource(a) { seen[a.type] = a.inputs.__provider; return { id: a.name + '-id', state: a.inputs }; },
  call(a) { return a.inputs; },
}, 'proj', 'stack', false);
const m = await import('cmek/pulumi');
const res = [];
for (const [type, C] of Object.entries(m.PULUMI_RESOURCES)) {
  const r = new C('x-' + type, {});
  res.push([type, C.typeToken, r]);
}
await new Promise((r) => setTimeout(r, 500));
await Promise.all(res.map(([, , r]) => new Promise((ok) => r.urn.apply(ok))));
const result = {};
for (const [type, token] of res) result[type] = { token, provider: seen[token] };
process.stdout.write(JSON.stringify(result));
`,
  );
  return JSON.parse(out) as Record<string, { token: string; provider: string }>;
}

export interface Host {
  /** Call a ResourceProvider method with a request object; rejects with the gRPC error. */
  call<T = any>(method: string, req: any): Promise<T>;
  stderr(): string;
  close(): void;
}

/** Spawn `node ARGS` in `cwd` and wait for the port a Pulumi plugin prints on its first line. */
export async function spawnPlugin(
  cwd: string,
  args: string[],
): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\s/.exec(out);
      if (m) ok(Number(m[1]));
    });
    child.on('exit', (code) => fail(new Error(`${args.join(' ')} exited ${code}: ${err}`)));
  });
  return { child, port, stderr: () => err };
}

/** A gRPC client's unary calls as promises. */
function caller(client: any) {
  return <T = any>(method: string, request: any) =>
    new Promise<T>((ok, fail) =>
      client[method](request, (e: Error | null, resp: T) => (e ? fail(e) : ok(resp))),
    );
}

/** Spawn a plugin and connect a client of its gRPC service (`Client`: a generated stub). */
async function startPlugin(cwd: string, args: string[], Client: any): Promise<Host> {
  const { child, port, stderr } = await spawnPlugin(cwd, args);
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    call: caller(client),
    stderr,
    close: () => {
      client.close();
      child.kill();
    },
  };
}

/** Start `@pulumi/pulumi/cmd/dynamic-provider` in `cwd` and connect to the port it prints. */
export function startDynamicHost(cwd: string): Promise<Host> {
  const entry = join(pulumiDir, 'cmd', 'dynamic-provider', 'index.js');
  return startPlugin(cwd, [entry, '127.0.0.1:1'], provrpc.ResourceProviderClient);
}

/** Start a policy pack (`node ENTRY` in `cwd`, as `pulumi` runs a pack) and connect to its
 * Analyzer service. */
export function startPolicyPack(cwd: string, entry: string): Promise<Host> {
  return startPlugin(cwd, [entry], analyzerrpc.AnalyzerClient);
}

const struct = (v: Record<string, unknown>) => structproto.Struct.fromJavaScript(v);

/** The request messages, built as the engine builds them. */
export const req = {
  configure(config: Record<string, string>) {
    const r = new provproto.ConfigureRequest();
    r.setArgs(struct(config));
    r.setAcceptsecrets(true);
    return r;
  },
  check(urn: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const r = new provproto.CheckRequest();
    r.setUrn(urn);
    r.setOlds(struct(olds));
    r.setNews(struct(news));
    return r;
  },
  diff(id: string, urn: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const r = new provproto.DiffRequest();
    r.setId(id);
    r.setUrn(urn);
    r.setOlds(struct(olds));
    r.setNews(struct(news));
    return r;
  },
  create(urn: string, props: Record<string, unknown>) {
    const r = new provproto.CreateRequest();
    r.setUrn(urn);
    r.setProperties(struct(props));
    return r;
  },
  read(id: string, urn: string, props: Record<string, unknown>) {
    const r = new provproto.ReadRequest();
    r.setId(id);
    r.setUrn(urn);
    r.setProperties(struct(props));
    return r;
  },
  update(id: string, urn: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const r = new provproto.UpdateRequest();
    r.setId(id);
    r.setUrn(urn);
    r.setOlds(struct(olds));
    r.setNews(struct(news));
    return r;
  },
  delete(id: string, urn: string, props: Record<string, unknown>) {
    const r = new provproto.DeleteRequest();
    r.setId(id);
    r.setUrn(urn);
    r.setProperties(struct(props));
    return r;
  },
};

/** An AnalyzerResource / AnalyzeRequest as the engine sends it. */
export interface AnalyzedResource {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
  providerRegion?: string;
  propertyDependencies?: Record<string, string[]>;
}

function analyzerProvider(region: string) {
  const p = new analyzerproto.AnalyzerProviderResource();
  p.setType('pulumi:providers:aws');
  p.setName('default');
  p.setUrn('urn:pulumi:dev::shop::pulumi:providers:aws::default');
  p.setProperties(struct({ region }));
  return p;
}

export const analyzerReq = {
  analyze(r: AnalyzedResource) {
    const q = new analyzerproto.AnalyzeRequest();
    q.setType(r.type);
    q.setName(r.name);
    q.setUrn(r.urn);
    q.setProperties(struct(r.props));
    q.setOptions(new analyzerproto.AnalyzerResourceOptions());
    if (r.providerRegion) q.setProvider(analyzerProvider(r.providerRegion));
    return q;
  },
  analyzeStack(resources: AnalyzedResource[]) {
    const q = new analyzerproto.AnalyzeStackRequest();
    q.setResourcesList(
      resources.map((r) => {
        const a = new analyzerproto.AnalyzerResource();
        a.setType(r.type);
        a.setName(r.name);
        a.setUrn(r.urn);
        a.setProperties(struct(r.props));
        a.setOptions(new analyzerproto.AnalyzerResourceOptions());
        if (r.providerRegion) a.setProvider(analyzerProvider(r.providerRegion));
        const deps = Object.values(r.propertyDependencies ?? {}).flat();
        a.setDependenciesList(deps);
        const m = a.getPropertydependenciesMap();
        for (const [prop, urns] of Object.entries(r.propertyDependencies ?? {})) {
          const d = new analyzerproto.AnalyzerPropertyDependencies();
          d.setUrnsList(urns);
          m.set(prop, d);
        }
        return a;
      }),
    );
    return q;
  },
};

/** The diagnostics of an AnalyzeResponse, as plain objects. */
export function analyzeDiagnostics(resp: any): Array<{
  policyName: string;
  message: string;
  urn: string;
  enforcementLevel: number;
}> {
  return resp.getDiagnosticsList().map((d: any) => ({
    policyName: d.getPolicyname(),
    message: d.getMessage(),
    urn: d.getUrn(),
    enforcementLevel: d.getEnforcementlevel(),
  }));
}

/** DiffResponse.DiffChanges values. */
export const DIFF = provproto.DiffResponse.DiffChanges as {
  DIFF_UNKNOWN: number;
  DIFF_NONE: number;
  DIFF_SOME: number;
};
export const Empty = emptyproto.Empty;
/* eslint-enable @typescript-eslint/no-explicit-any */
