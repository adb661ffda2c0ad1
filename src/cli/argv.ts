// Terraform spells flags with one dash (`-auto-approve`, `-chdir=DIR`, `-var K=V`); commander
// wants two. We accept both: a single-dash word of two or more letters becomes its double-dash
// form. Short flags we define (`-o FILE`) are single letters and stay as they are.

export interface NormalizedArgv {
  args: string[];
  chdir?: string;
}

export function normalizeArgv(argv: readonly string[]): NormalizedArgv {
  const out: string[] = [];
  let chdir: string | undefined;
  let passthrough = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (passthrough) {
      out.push(a);
      continue;
    }
    if (a === '--') {
      passthrough = true;
      out.push(a);
      continue;
    }
    const m = /^-{1,2}([a-z][a-z0-9-]+)(=.*)?$/i.exec(a);
    if (!m) {
      out.push(a);
      continue;
    }
    const name = m[1]!;
    const value = m[2]?.slice(1);
    if (name === 'chdir') {
      chdir = value ?? argv[++i];
      continue;
    }
    out.push(value === undefined ? `--${name}` : `--${name}=${value}`);
  }
  return chdir === undefined ? { args: out } : { args: out, chdir };
}
