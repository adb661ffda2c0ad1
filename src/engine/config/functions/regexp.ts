// Go's regular expression syntax (RE2, what terraform's regex, regexall and replace use) on
// JavaScript's engine: named groups `(?P<n>...)`, leading inline flags `(?i)` `(?s)` `(?m)`,
// `\A` and `\z`, and Go's replacement template (`$1`, `${name}`, `$$`).

export function goRegExp(pattern: string, global: boolean): RegExp {
  let p = pattern;
  let flags = global ? 'gu' : 'u';
  const lead = /^\(\?([imsU]+)\)/.exec(p);
  if (lead) {
    for (const f of lead[1]!) if (f !== 'U' && !flags.includes(f)) flags += f;
    p = p.slice(lead[0].length);
  }
  p = p
    .replace(/\(\?P</g, '(?<')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$(?![\\s\\S])');
  try {
    return new RegExp(p, flags);
  } catch {
    return new RegExp(p, flags.replace('u', ''));
  }
}

/** Go's Regexp.Expand: `$1`, `$name`, `${name}` (the longest name), `$$` for `$`. */
export function expandGo(template: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch !== '$') {
      out += ch;
      continue;
    }
    const rest = template.slice(i + 1);
    if (rest.startsWith('$')) {
      out += '$';
      i++;
      continue;
    }
    const braced = /^\{([A-Za-z0-9_]+)\}/.exec(rest);
    const bare = /^[A-Za-z0-9_]+/.exec(rest);
    const name = braced ? braced[1]! : bare ? bare[0] : undefined;
    if (name === undefined) {
      out += '$';
      continue;
    }
    i += braced ? braced[0].length : name.length;
    const value = /^\d+$/.test(name) ? m[Number(name)] : m.groups?.[name];
    out += value ?? '';
  }
  return out;
}
