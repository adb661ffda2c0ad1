// `cmek fmt [-check] [-diff] [-recursive] [-list=false] [-write=false] [PATH...]`: rewrite .tf
// and .tfvars files in the canonical style, as `terraform fmt` does (docs/cli/fmt.md). Exit 0,
// 2 on errors, 3 with -check when a file needs formatting (terraform's codes).
import type { Command } from 'commander';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { formatHcl } from '../../engine/config/format.js';
import { parseHclFile } from '../../engine/config/syntax.js';
import { writeFileAtomic } from '../../engine/index.js';
import { diag, type Diagnostic } from '../../model/diagnostics.js';
import { printDiagnostics } from '../output.js';
import { parseBool } from './engine-cli.js';
import { unifiedDiff } from './diff.js';

const EXTENSIONS = ['.tf', '.tfvars'];

interface FmtFlags {
  check?: boolean;
  diff?: boolean;
  recursive?: boolean;
  list: boolean;
  write: boolean;
}

/** The files a target names: the file itself, or the .tf/.tfvars files of a directory. */
function collect(target: string, recursive: boolean, out: string[], diags: Diagnostic[]): void {
  let st;
  try {
    st = statSync(target);
  } catch {
    diags.push(
      diag(
        'USAGE',
        `No file or directory at ${target}`,
        'Give the path of a .tf file or of a directory.',
      ),
    );
    return;
  }
  if (st.isFile()) {
    if (EXTENSIONS.some((e) => target.endsWith(e))) out.push(target);
    else
      diags.push(
        diag(
          'USAGE',
          `Only .tf and .tfvars files can be processed with cmek fmt: ${target}`,
          'Give a .tf or .tfvars file, or a directory.',
        ),
      );
    return;
  }
  for (const name of readdirSync(target).sort()) {
    const p = target === '.' ? name : join(target, name);
    const s = statSync(p, { throwIfNoEntry: false });
    if (!s) continue;
    if (s.isDirectory()) {
      // Like terraform, only with -recursive; hidden directories (.terraform, .git) are skipped.
      if (recursive && !name.startsWith('.')) collect(p, recursive, out, diags);
    } else if (EXTENSIONS.some((e) => name.endsWith(e))) out.push(p);
  }
}

/** The formatted text, or the syntax diagnostics (the file is then left untouched). */
export async function formatFile(
  file: string,
  text: string,
): Promise<{ text?: string; diagnostics: Diagnostic[] }> {
  const syntax = parseHclFile(file, text).diagnostics;
  if (syntax.length) return { diagnostics: syntax };
  try {
    return { text: formatHcl(text), diagnostics: [] };
  } catch (e) {
    return {
      diagnostics: [
        diag('CONFIG_SYNTAX', `Cannot format: ${(e as Error).message}`, 'Fix the HCL syntax.', {
          file,
          line: 1,
        }),
      ],
    };
  }
}

export function register(program: Command): void {
  program
    .command('fmt')
    .description('Rewrite .tf and .tfvars files in the canonical style (as terraform fmt)')
    .argument('[paths...]', 'files or directories (default: the current directory; - = stdin)')
    .option('--check', 'change nothing; exit 3 if any file needs formatting')
    .option('--diff', 'print the changes as a unified diff')
    .option('--recursive', 'also format the subdirectories')
    .option('--list <bool>', 'print the names of the files that changed', parseBool('list'), true)
    .option('--write <bool>', 'write the result to the files', parseBool('write'), true)
    .action(async (paths: string[], flags: FmtFlags) => {
      const diags: Diagnostic[] = [];
      if (paths.length === 1 && paths[0] === '-') {
        const text = readFileSync(0, 'utf8');
        const r = await formatFile('<stdin>', text);
        if (r.text === undefined) {
          printDiagnostics(r.diagnostics);
          process.exitCode = 2;
          return;
        }
        if (flags.check) process.exitCode = r.text === text ? 0 : 3;
        else process.stdout.write(r.text);
        return;
      }
      const files: string[] = [];
      for (const t of paths.length ? paths : ['.']) collect(t, !!flags.recursive, files, diags);
      const write = flags.write && !flags.check;
      let changed = 0;
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        const r = await formatFile(relative('.', file) || file, text);
        diags.push(...r.diagnostics);
        if (r.text === undefined || r.text === text) continue;
        changed++;
        if (flags.list) process.stdout.write(`${file}\n`);
        if (flags.diff) process.stdout.write(unifiedDiff(file, text, r.text));
        if (write) writeFileAtomic(file, r.text);
      }
      if (diags.length) printDiagnostics(diags);
      process.exitCode = diags.length ? 2 : flags.check && changed ? 3 : 0;
    });
}
