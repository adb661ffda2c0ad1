// plan_10k_resources (docs/contract.md, Performance): milliseconds to plan 10,000 resources from
// scratch (no state), with the real loader, resource types and CMEK rules — what `cmek plan` does
// minus printing.
// The configuration is 5,000 keys + 5,000 services each encrypted with its own key (count), so
// every service references a key whose ARN is unknown and the rules link all 10,000 nodes.
// Notes also give the same plan written as 10,000 separate blocks (parser-heavy) and the
// rendering of the JSON plan.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openWorkspace, plan, renderPlanJson } from '../src/engine/index.js';
import { result, type BenchOptions, type BenchResult } from './lib.js';

const GOAL_MS = 2000;

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

function blocksConfig(n: number): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    parts.push(
      `resource "cmek_kms_key" "k${i}" {\n  region = "eu-west-1"\n}\n` +
        `resource "cmek_encrypted_service" "db${i}" {\n  name    = "db-${i}"\n  region  = "eu-west-1"\n  kms_key = cmek_kms_key.k${i}.arn\n}\n`,
    );
  }
  return parts.join('');
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
  const blocksDir = mkdtempSync(join(tmpdir(), 'cmek-bench-plan-blocks-'));
  try {
    writeFileSync(join(dir, 'main.tf'), countConfig(n));
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
    const median = samples[Math.floor(samples.length / 2)]!;

    writeFileSync(join(blocksDir, 'main.tf'), blocksConfig(n));
    const blocks = await timePlan(blocksDir);
    return [
      result('plan_10k_resources', median, 'ms', GOAL_MS, {
        resources: last.resources,
        samples_ms: samples.map((s) => Math.round(s)).join(','),
        separate_blocks_ms: Math.round(blocks.ms),
        render_json_ms: Math.round(last.jsonMs),
      }),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(blocksDir, { recursive: true, force: true });
  }
}
