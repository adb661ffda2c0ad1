// The provider block's `endpoint`, `access_key` and `secret_key`: parsed into the settings the
// resources and CLI verbs use (src/engine/provider-settings.ts), credentials from the block or
// the environment, and clear CONFIG_SCHEMA errors with file:line for bad values.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/engine/config/index.js';
import { providerSettings } from '../../src/engine/provider-settings.js';
import { configurationJson } from '../../src/engine/render.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function settingsOf(provider: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cmek-settings-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'main.tf'), `provider "cmek" {\n${provider}\n}\n`);
  const { config, diagnostics } = await loadConfig(dir);
  expect(diagnostics).toEqual([]);
  return providerSettings(config, {});
}

describe('provider endpoint', () => {
  it('is absent by default: the embedded control plane', async () => {
    const { settings, diagnostics } = await settingsOf('');
    expect(diagnostics).toEqual([]);
    expect(settings.remote).toBeUndefined();
  });

  it('takes access_key/secret_key from the block', async () => {
    const { settings, diagnostics } = await settingsOf(
      '  endpoint = "http://10.0.0.5:8300/"\n  access_key = "AKID"\n  secret_key = "s3cret"',
    );
    expect(diagnostics).toEqual([]);
    expect(settings.remote).toEqual({
      endpoint: 'http://10.0.0.5:8300',
      accessKeyId: 'AKID',
      secretAccessKey: 's3cret',
    });
    // The KMS stays "local": the server's.
    expect(settings.kms).toEqual({ backend: 'local' });
  });

  it('else from CMEK_ACCESS_KEY_ID/CMEK_SECRET_ACCESS_KEY, else test/test', async () => {
    const saved = { ...process.env };
    try {
      delete process.env.CMEK_ACCESS_KEY_ID;
      delete process.env.CMEK_SECRET_ACCESS_KEY;
      expect((await settingsOf('  endpoint = "https://cmek.example.com"')).settings.remote).toEqual(
        {
          endpoint: 'https://cmek.example.com',
          accessKeyId: 'test',
          secretAccessKey: 'test',
        },
      );
      process.env.CMEK_ACCESS_KEY_ID = 'AKIDENV';
      process.env.CMEK_SECRET_ACCESS_KEY = 'envsecret';
      expect(
        (await settingsOf('  endpoint = "https://cmek.example.com"')).settings.remote,
      ).toMatchObject({
        accessKeyId: 'AKIDENV',
        secretAccessKey: 'envsecret',
      });
    } finally {
      process.env = saved;
    }
  });

  it('never puts the secret in the plan JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmek-settings-'));
    dirs.push(dir);
    writeFileSync(
      join(dir, 'main.tf'),
      'provider "cmek" {\n  endpoint = "http://h:1"\n  access_key = "AKID"\n  secret_key = "s3cret-value"\n}\n',
    );
    const { config } = await loadConfig(dir);
    const json = JSON.stringify(configurationJson(config));
    expect(json).toContain('AKID');
    expect(json).not.toContain('s3cret-value');
  });

  it('refuses bad values with CONFIG_SCHEMA at file:line', async () => {
    const cases: [string, string][] = [
      ['  endpoint = "ftp://x"', 'Invalid value for provider "cmek" argument "endpoint"'],
      ['  endpoint = "not a url"', 'Invalid value for provider "cmek" argument "endpoint"'],
      ['  endpoint = 5', 'Invalid value for provider "cmek" argument "endpoint"'],
      ['  access_key = "AKID"\n  secret_key = "x"', 'argument "access_key" needs "endpoint"'],
      ['  endpoint = "http://h:1"\n  access_key = "AKID"', 'argument "secret_key" is missing'],
    ];
    for (const [body, summary] of cases) {
      const { settings, diagnostics } = await settingsOf(body);
      expect(
        diagnostics.map((d) => d.code),
        body,
      ).toContain('CONFIG_SCHEMA');
      expect(diagnostics[0]!.summary, body).toContain(summary);
      expect(diagnostics[0]!.file, body).toMatch(/main\.tf$/);
      expect(diagnostics[0]!.line, body).toBeGreaterThan(1);
      expect(settings.remote, body).toBeUndefined();
    }
  });
});
