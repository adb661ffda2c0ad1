// The HCL parse cache (src/engine/config/hcl.ts, docs/architecture.md "Start-up"): an unchanged
// .tf file is not parsed again, a changed one is, and neither .tfvars files nor files with
// errors are kept.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hclCacheDir, parseHclText } from '../../src/engine/config/hcl.js';

const root = mkdtempSync(join(tmpdir(), 'cmek-hcl-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const TF = 'resource "cmek_kms_key" "k" {\n  region = "eu-west-1"\n}\n';

describe('hcl parse cache', () => {
  let dir: string;
  const saved = process.env.CMEK_HCL_CACHE;
  beforeEach(() => {
    dir = mkdtempSync(join(root, 'c-'));
    process.env.CMEK_HCL_CACHE = dir;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.CMEK_HCL_CACHE;
    else process.env.CMEK_HCL_CACHE = saved;
  });
  const entries = () => readdirSync(dir).filter((n) => n.endsWith('.json'));

  it('keeps the parse of a .tf file (0600) and answers the same text from it', async () => {
    const first = await parseHclText('/cfg/main.tf', TF);
    expect(first).toEqual({ resource: { cmek_kms_key: { k: [{ region: 'eu-west-1' }] } } });
    const [entry] = entries();
    expect(entries()).toHaveLength(1);
    expect(statSync(join(dir, entry!)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, entry!), 'utf8'))).toEqual(first);
    // The second parse reads the entry: what is there is what comes back.
    writeFileSync(join(dir, entry!), JSON.stringify({ from: 'cache' }));
    expect(await parseHclText('/cfg/main.tf', TF)).toEqual({ from: 'cache' });
  });

  it('parses again when the text or the path differs, or the entry is torn', async () => {
    await parseHclText('/cfg/main.tf', TF);
    const changed = await parseHclText('/cfg/main.tf', TF.replace('eu-west-1', 'us-east-1'));
    expect(changed).toEqual({ resource: { cmek_kms_key: { k: [{ region: 'us-east-1' }] } } });
    await parseHclText('/other/main.tf', TF);
    expect(entries()).toHaveLength(3);
    for (const e of entries()) writeFileSync(join(dir, e), '{"resou');
    expect(await parseHclText('/cfg/main.tf', TF)).toEqual({
      resource: { cmek_kms_key: { k: [{ region: 'eu-west-1' }] } },
    });
  });

  it('never keeps a .tfvars file or a file that does not parse', async () => {
    expect(await parseHclText('/cfg/terraform.tfvars', 'password = "hunter2"\n')).toEqual({
      password: 'hunter2',
    });
    await expect(parseHclText('/cfg/bad.tf', 'resource "a" {\n')).rejects.toThrow();
    expect(entries()).toEqual([]);
  });

  it('drops the oldest entries beyond its size', async () => {
    for (let i = 0; i < 300; i++)
      writeFileSync(join(dir, `${String(i).padStart(64, '0')}.json`), '{}');
    await parseHclText('/cfg/main.tf', TF);
    expect(entries().length).toBeLessThanOrEqual(256);
    expect(entries().length).toBeGreaterThan(100);
  });

  it('is off with CMEK_HCL_CACHE=off, else under XDG_CACHE_HOME', async () => {
    expect(hclCacheDir({ CMEK_HCL_CACHE: 'off' })).toBeUndefined();
    expect(hclCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/cmek/hcl');
    process.env.CMEK_HCL_CACHE = 'off';
    await parseHclText('/cfg/main.tf', TF);
    expect(entries()).toEqual([]);
  });
});
