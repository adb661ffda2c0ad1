// docs/cli/kms-serve.md must stay true: its SDK example runs against a live server, its
// credentials example parses, and its operation list is the server's.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalKms } from '../../src/kms/local/index.js';
import { parseCredentials } from '../../src/kms/server/credentials.js';
import { OPERATION_NAMES, startKmsServer, type KmsServer } from '../../src/kms/server/index.js';
import { REPO } from './server-support-backends.js';

const DOC = readFileSync(join(REPO, 'docs/cli/kms-serve.md'), 'utf8');

/** The first fenced block after `<!-- tested: NAME -->` (or the paragraph, for prose). */
function tested(name: string): string {
  const at = DOC.indexOf(`<!-- tested: ${name} -->`);
  if (at < 0) throw new Error(`docs/cli/kms-serve.md has no "tested: ${name}" marker`);
  const rest = DOC.slice(at).split('\n').slice(1).join('\n');
  const fence = /^```\w*\n([\s\S]*?)^```/m.exec(rest);
  return rest.startsWith('```') && fence ? fence[1]! : rest.split('\n\n')[0]!;
}

describe('docs/cli/kms-serve.md', () => {
  let dir: string;
  let server: KmsServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmek-docs-'));
    server = await startKmsServer({ kms: openLocalKms({ dir: join(dir, 'kms') }), port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the AWS SDK example runs against the server', async () => {
    const code = tested('sdk-example');
    expect(code).toContain("endpoint: 'http://127.0.0.1:4599'");
    const live = code.replace('http://127.0.0.1:4599', server.url);
    // Asynchronous: the server runs in this process.
    const out = await new Promise<{ stdout: string; stderr: string; err: Error | null }>((res) =>
      execFile(
        process.execPath,
        ['--input-type=module', '--no-warnings', '-e', live],
        { cwd: REPO },
        (err, stdout, stderr) => res({ err, stdout, stderr }),
      ),
    );
    expect(out.err, out.stderr).toBeNull();
    expect(out.stdout.trim()).toMatch(
      /^arn:aws:kms:eu-west-1:000000000000:key\/[0-9a-f-]{36} hello$/,
    );
  });

  it('the credentials example is a valid --credentials file', () => {
    const creds = parseCredentials(tested('credentials-example'), 'docs example');
    expect(creds.get('test')?.principal).toBe('arn:aws:iam::000000000000:root');
    expect(creds.get('AKIACLICKHOUSE')?.principal).toBe(
      'arn:aws:iam::576599896960:role/prod-kms-request-role',
    );
  });

  it('lists exactly the operations the server serves', () => {
    const listed = tested('operations')
      .replace(/\.\s*$/, '')
      .split(/,\s*/)
      .map((s) => s.trim())
      .sort();
    expect(listed).toEqual(OPERATION_NAMES);
  });
});
