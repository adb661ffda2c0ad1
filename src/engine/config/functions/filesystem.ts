// Filesystem functions: file, fileexists, fileset, filebase64, templatefile and the path
// helpers. Relative paths are relative to the module directory (the scope's baseDir), as in
// terraform.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, posix, resolve } from 'node:path';
import type { Value } from '../../../model/values.js';
import { renderTemplate } from './template.js';
import { argError, callError, family, map, str, STRICT_UTF8, type Call } from './support.js';

function fullPath(p: string, c: Call): string {
  const expanded = p.startsWith('~/') || p === '~' ? homedir() + p.slice(1) : p;
  return isAbsolute(expanded) ? expanded : resolve(c.ctx.scope.baseDir, expanded);
}

/** A file's bytes, or terraform's error for a file that cannot be read. */
export function readModuleFile(p: string, c: Call, i: number): Buffer {
  try {
    return readFileSync(fullPath(p, c));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no file exists at'
        : code === 'EISDIR'
          ? 'is a directory, not a file:'
          : 'failed to read';
    return argError(
      c,
      i,
      `${why} "${p}"; paths are relative to the module directory ${c.ctx.scope.baseDir}`,
    );
  }
}

function text(p: string, c: Call, i: number): string {
  const bytes = readModuleFile(p, c, i);
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return argError(
      c,
      i,
      `contents of "${p}" are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead`,
    );
  }
}

/** A glob pattern (`*`, `**`, `?`, `[...]`, `{a,b}`) as a regular expression over paths. */
function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '{') re += '(?:';
    else if (ch === '}') re += ')';
    else if (ch === ',') re += '|';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      const body = pattern.slice(i + 1, end).replace(/^!/, '^');
      re += `[${body}]`;
      i = end;
    } else re += ch.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function walk(dir: string, rel: string, out: string[]): void {
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) walk(dir, r, out);
    else out.push(r);
  }
}

function templatefile(path: string, vars: Record<string, Value>, c: Call): Value {
  return renderTemplate(text(path, c, 0), path, vars, c, 'file', fullPath(path, c));
}

export const FILESYSTEM_FUNCTIONS = family('filesystem', {
  file: ['file(path)', 'the contents of a UTF-8 text file', ([p], c) => text(str(p!, c, 0), c, 0)],
  filebase64: [
    'filebase64(path)',
    'the contents of a file, Base64',
    ([p], c) => readModuleFile(str(p!, c, 0), c, 0).toString('base64'),
  ],
  fileexists: [
    'fileexists(path)',
    'whether a file exists at the path (a directory is an error)',
    ([p], c) => {
      const path = str(p!, c, 0);
      const full = fullPath(path, c);
      if (!existsSync(full)) return false;
      if (statSync(full).isFile()) return true;
      return callError(
        c,
        `"${path}" is not a regular file, but "${statSync(full).isDirectory() ? 'directory' : 'other'}"`,
      );
    },
  ],
  fileset: [
    'fileset(path, pattern)',
    'the files under `path` matching a glob pattern (`*`, `**`, `?`, `[...]`, `{a,b}`), sorted',
    ([p, g], c) => {
      const dir = fullPath(str(p!, c, 0), c);
      const re = globRegExp(str(g!, c, 1));
      const all: string[] = [];
      if (existsSync(dir) && statSync(dir).isDirectory()) walk(dir, '', all);
      return all.filter((f) => re.test(f)).sort();
    },
  ],
  templatefile: [
    'templatefile(path, vars)',
    'a template file rendered with the variables of the map `vars` (`${name}` interpolations)',
    ([p, v], c) => templatefile(str(p!, c, 0), map(v!, c, 1), c),
  ],
  abspath: [
    'abspath(path)',
    'the absolute path (relative to the working directory)',
    ([p], c) => resolve(str(p!, c, 0)),
  ],
  dirname: [
    'dirname(path)',
    'the path without its last element',
    ([p], c) => {
      const s = str(p!, c, 0);
      return s === '' ? '.' : posix.dirname(s);
    },
  ],
  basename: [
    'basename(path)',
    'the last element of the path',
    ([p], c) => {
      const s = str(p!, c, 0);
      if (s === '') return '.';
      const b = posix.basename(s);
      return b === '' ? '/' : b;
    },
  ],
  pathexpand: [
    'pathexpand(path)',
    'the path with a leading `~` replaced by the home directory',
    ([p], c) => {
      const s = str(p!, c, 0);
      return s === '~' || s.startsWith('~/') ? homedir() + s.slice(1) : s;
    },
  ],
});
