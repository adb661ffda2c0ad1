// plan_10k_resources (docs/contract.md, Performance): milliseconds to plan 10,000 resources from
// scratch (no state), with the real loader, resource types and CMEK rules — what `cmek plan` does
// minus printing. The configuration is 10,000 separate resource blocks (5,000 keys and 5,000
// services each encrypted with its own key, so every service references a key whose ARN is
// unknown and the rules link all 10,000 nodes) in 10 files, the shape that exercises the HCL
// parser; goal ≤ 1500 ms. Notes give the same plan written with count, and the rendering of the
// JSON plan.
// plan_10k_vs_terraform: the same shape with `terraform_data` resources (terraform's built-in
// provider, so `terraform init` works offline) planned by the real terraform
// (`terraform plan -refresh=false`), against `cmek plan` of the cmek configuration, both as
// processes (wall time, medians of interleaved runs); the ratio cmek / terraform, goal ≤ 0.5.
// Needs the terraform binary (CMEK_TERRAFORM, default /usr/local/bin/terraform) and a build
// (`npm run build`, or CMEK_BENCH_BIN); without either the row is skipped with a note on stderr.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openWorkspace, plan, renderPlanJson } from '../src/engine/index.js';
import { cmekBin, result, type BenchOptions, type BenchResult } from './lib.js';

const GOAL_MS = 1500;
const GOAL_RATIO = 0.5;
const FILES = 10;

function countConfig(n: number): string {
  return `
resource "cmek_kms_key" "k" {
  count               = ${n}
  region              = "eu-west-1"
  alias               = "alias/bench-\${count.index}"
  enable_key_rotation = true
}
resource "cmek_encrypted_service" "db" {
  count   = ${n}
  name    = "db-\${count.index}"
  region  = "eu-west-1"
  kms_key = cmek_kms_key.k[count.index].arn
}
`;
}

/** `n` keys and `n` services as separate blocks, spread over FILES files: [name, text][]. */
function blocksFiles(n: number): Array<[string, string]> {
  const per = Math.ceil(n / FILES);
  const files: Array<[string, string]> = [];
  for (let f = 0; f < FILES; f++) {
    const parts: string[] = [];
    for (let i = f * per; i < Math.min(n, (f + 1) * per); i++) {
      parts.push(
        `resource "cmek_kms_key" "k${i}" {\n  region = "eu-west-1"\n}\n\n` +
          `resource "cmek_encrypted_service" "db${i}" {\n  name    = "db-${i}"\n  region  = "eu-west-1"\n  kms_key = cmek_kms_key.k${i}.arn\n}\n\n`,
      );
    }
    files.push([`part${String(f).padStart(2, '0')}.tf`, parts.join('')]);
  }
  return files;
}

/** The same shape for terraform: terraform_data resources, the second reading the first. */
function terraformFiles(n: number): Array<[string, string]> {
  return blocksFiles(n).map(([name, text]) => [
    name,
    text
      .replace(
        /resource "cmek_kms_key" "k(\d+)" \{\n {2}region = "eu-west-1"\n\}/g,
        'resource "terraform_data" "k$1" {\n  input = "eu-west-1"\n}',
      )
      .replace(
        /resource "cmek_encrypted_service" "db(\d+)" \{\n {2}name {4}= "db-\d+"\n {2}region {2}= "eu-west-1"\n {2}kms_key = cmek_kms_key\.k\d+\.arn\n\}/g,
        'resource "terraform_data" "db$1" {\n  input = {\n    name    = "db-$1"\n    region  = "eu-west-1"\n    kms_key = terraform_data.k$1.id\n  }\n}',
      ),
  ]);
}

function writeFiles(dir: string, files: Array<[string, string]>): void {
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timed(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = performance.now() - t0;
  // plan -detailed-exitcode is not used: 0 is success for both.
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr.slice(0, 2000)}`);
  return ms;
}

/** plan_10k_vs_terraform, or [] with a note on stderr when terraform or the build is absent. */
function versusTerraform(n: number, opts: BenchOptions): BenchResult[] {
  const terraform = process.env.CMEK_TERRAFORM ?? '/usr/local/bin/terraform';
  if (!existsSync(terraform)) {
    console.error(`bench: plan_10k_vs_terraform skipped: no terraform binary at ${terraform}`);
    return [];
  }
  const { path: bin, exists } = cmekBin();
  if (!exists) {
    console.error(`bench: plan_10k_vs_terraform skipped: ${bin} does not exist (npm run build)`);
    return [];
  }
  const base = mkdtempSync(join(tmpdir(), 'cmek-bench-vs-tf-'));
  try {
    const tfDir = join(base, 'tf');
    const cmekDir = join(base, 'cmek');
    for (const d of [tfDir, cmekDir]) spawnSync('mkdir', ['-p', d]);
    writeFiles(tfDir, terraformFiles(n));
    writeFiles(cmekDir, blocksFiles(n));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: join(base, 'home'),
      TF_CLI_CONFIG_FILE: '/dev/null',
      CHECKPOINT_DISABLE: '1',
      TF_IN_AUTOMATION: '1',
      NO_COLOR: '1',
    };
    delete env.NODE_OPTIONS;
    timed(terraform, ['init', '-input=false', '-no-color'], tfDir, env);
    const tfArgs = ['plan', '-refresh=false', '-input=false', '-lock=false', '-no-color'];
    const cmekArgs = [bin, 'plan'];
    const runs = opts.quick ? 1 : 3;
    const tf: number[] = [];
    const cmek: number[] = [];
    // A first run of each warms the file cache; then interleaved samples.
    timed(process.execPath, cmekArgs, cmekDir, env);
    for (let i = 0; i < runs; i++) {
      tf.push(timed(terraform, tfArgs, tfDir, env));
      cmek.push(timed(process.execPath, cmekArgs, cmekDir, env));
    }
    const ratio = median(cmek) / median(tf);
    return [
      result('plan_10k_vs_terraform', ratio, 'ratio', GOAL_RATIO, {
        resources: 2 * n,
        files: FILES,
        cmek_plan_ms: cmek.map(Math.round).join(','),
        terraform_plan_ms: tf.map(Math.round).join(','),
      }),
    ];
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

async function timePlan(
  dir: string,
): Promise<{ ms: number; resources: number; errored: boolean; jsonMs: number }> {
  const t0 = performance.now();
  const ws = await openWorkspace(dir);
  const p = await plan({ workspace: ws });
  const ms = performance.now() - t0;
  const t1 = performance.now();
  JSON.stringify(renderPlanJson(p, ws.config));
  const jsonMs = performance.now() - t1;
  if (p.errored) console.error(p.diagnostics.slice(0, 3));
  return { ms, resources: p.changes.length, errored: p.errored, jsonMs };
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const n = 5000; // 5,000 keys + 5,000 services = 10,000 resources, in quick mode too
  const runs = opts.quick ? 2 : 4;
  const dir = mkdtempSync(join(tmpdir(), 'cmek-bench-plan-'));
  const countDir = mkdtempSync(join(tmpdir(), 'cmek-bench-plan-count-'));
  try {
    writeFiles(dir, blocksFiles(n));
    await timePlan(dir); // warm up: module loading, JIT
    const samples: number[] = [];
    let last = { ms: 0, resources: 0, errored: false, jsonMs: 0 };
    for (let i = 0; i < runs; i++) {
      last = await timePlan(dir);
      samples.push(last.ms);
    }
    if (last.errored || last.resources !== 2 * n)
      throw new Error(`plan of ${2 * n} resources failed or planned ${last.resources}`);
    samples.sort((a, b) => a - b);
    const med = samples[Math.floor(samples.length / 2)]!;

    writeFileSync(join(countDir, 'main.tf'), countConfig(n));
    const counted = await timePlan(countDir);
    return [
      result('plan_10k_resources', med, 'ms', GOAL_MS, {
        resources: last.resources,
        files: FILES,
        samples_ms: samples.map((x) => Math.round(x)).join(','),
        with_count_ms: Math.round(counted.ms),
        render_json_ms: Math.round(last.jsonMs),
      }),
      ...versusTerraform(n, opts),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(countDir, { recursive: true, force: true });
  }
}
