// examples/pulumi: the program and the policy pack type-check against the sources (tsc, with
// `cmek/pulumi*` mapped onto src/), and the program runs for real through the built package
// under pulumi.runtime.setMocks, declaring the resources its README describes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/harness.js';
import { programDir, runNode } from './host.js';

const EXAMPLE = join(ROOT, 'examples', 'pulumi');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('examples/pulumi', () => {
  it('is the program docs/pulumi.md shows', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'pulumi.md'), 'utf8');
    const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toContain(readFileSync(join(EXAMPLE, 'index.ts'), 'utf8'));
    expect(blocks).toContain(
      readFileSync(join(EXAMPLE, 'policy', 'index.ts'), 'utf8').replace(/^\/\/.*\n/gm, ''),
    );
  });

  it('type-checks (program and policy pack)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmek-pulumi-tsc-'));
    dirs.push(dir);
    const tsconfig = join(dir, 'tsconfig.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({
        // The repository's options (the sources are checked with them), no emit.
        extends: join(ROOT, 'tsconfig.json'),
        compilerOptions: {
          noEmit: true,
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          baseUrl: ROOT,
          paths: {
            'cmek/pulumi': ['src/pulumi/index.ts'],
            'cmek/pulumi-policy': ['src/pulumi-policy/index.ts'],
          },
        },
        include: [],
        files: [join(EXAMPLE, 'index.ts'), join(EXAMPLE, 'policy', 'index.ts')],
      }),
    );
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', tsconfig],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 180_000);

  it('runs under setMocks through the built package', () => {
    const dir = programDir();
    dirs.push(dir);
    const js = transformSync(readFileSync(join(EXAMPLE, 'index.ts'), 'utf8'), {
      loader: 'ts',
      format: 'esm',
    }).code;
    writeFileSync(join(dir, 'index.mjs'), js);
    const out = runNode(
      dir,
      `import * as pulumi from '@pulumi/pulumi';
const seen = [];
pulumi.runtime.setMocks({
  newResource(a) {
    const { __provider, ...inputs } = a.inputs;
    seen.push({ type: a.type, name: a.name, inputs, provider: typeof __provider });
    const state = { ...a.inputs };
    if (a.type.endsWith(':KmsKey')) { state.arn = 'arn:aws:kms:eu-west-1:000000000000:key/k'; state.keyId = 'k'; }
    if (a.type.endsWith(':EncryptedService')) state.encrypted = true;
    return { id: a.name + '-id', state };
  },
  call: (a) => a.inputs,
}, 'cmek-orders', 'dev', false);
const m = await import('./index.mjs');
const arn = await new Promise((ok) => m.keyArn.apply(ok));
const encrypted = await new Promise((ok) => m.encrypted.apply(ok));
await new Promise((r) => setTimeout(r, 300));
process.stdout.write(JSON.stringify({ seen, arn, encrypted }));
`,
    );
    const r = JSON.parse(out) as {
      seen: Array<{
        type: string;
        name: string;
        inputs: Record<string, unknown>;
        provider: string;
      }>;
      arn: string;
      encrypted: boolean;
    };
    expect(r.seen.map((s) => [s.type, s.name]).sort()).toEqual(
      [
        ['pulumi-nodejs:dynamic/cmek:Backup', 'orders-nightly'],
        ['pulumi-nodejs:dynamic/cmek:EncryptedService', 'orders'],
        ['pulumi-nodejs:dynamic/cmek:KmsKey', 'orders-key'],
        ['pulumi-nodejs:dynamic/cmek:KmsKeyPolicy', 'orders-key-policy'],
        ['pulumi-nodejs:dynamic/cmek:Replica', 'orders-replica'],
      ].sort(),
    );
    for (const s of r.seen) expect(s.provider, s.name).toBe('string');
    const svc = r.seen.find((s) => s.name === 'orders')!;
    expect(svc.inputs).toMatchObject({
      name: 'orders',
      region: 'eu-west-1',
      kmsKey: 'arn:aws:kms:eu-west-1:000000000000:key/k',
    });
    expect(r.seen.find((s) => s.name === 'orders-replica')!.inputs.primaryId).toBe('orders-id');
    expect(r.arn).toBe('arn:aws:kms:eu-west-1:000000000000:key/k');
    expect(r.encrypted).toBe(true);
  }, 240_000);
});
