// A unified diff of two texts (`--- old/F`, `+++ new/F`, hunks with 3 lines of context), the
// form `terraform fmt -diff` prints. Line-based longest common subsequence: fine for files of
// a few thousand lines.

export function unifiedDiff(file: string, before: string, after: string, context = 3): string {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.at(-1) === '') a.pop();
  if (b.at(-1) === '') b.pop();
  // lcs[i][j] = length of the LCS of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i]![j] =
        a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  type Op = { kind: ' ' | '-' | '+'; text: string; ai: number; bi: number };
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j])
      ops.push({ kind: ' ', text: a[i++]!, ai: i, bi: ++j });
    else if (j < b.length && (i >= a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!))
      ops.push({ kind: '+', text: b[j++]!, ai: i, bi: j });
    else ops.push({ kind: '-', text: a[i++]!, ai: i, bi: j });
  }
  const changed = ops.map((o, k) => (o.kind === ' ' ? -1 : k)).filter((k) => k >= 0);
  if (!changed.length) return '';
  let out = `--- old/${file}\n+++ new/${file}\n`;
  let k = 0;
  while (k < changed.length) {
    const start = Math.max(0, changed[k]! - context);
    let end = changed[k]! + context;
    while (k + 1 < changed.length && changed[k + 1]! - context <= end + 1)
      end = changed[++k]! + context;
    k++;
    const hunk = ops.slice(start, Math.min(ops.length, end + 1));
    const aStart = hunk.filter((o) => o.kind !== '+').length ? hunkStart(ops, start, 'a') : 0;
    const bStart = hunk.filter((o) => o.kind !== '-').length ? hunkStart(ops, start, 'b') : 0;
    const aLen = hunk.filter((o) => o.kind !== '+').length;
    const bLen = hunk.filter((o) => o.kind !== '-').length;
    out += `@@ -${range(aStart, aLen)} +${range(bStart, bLen)} @@\n`;
    for (const o of hunk) out += `${o.kind}${o.text}\n`;
  }
  return out;
}

/** 1-based line number in a (or b) of the first line at or after ops[start]. */
function hunkStart(ops: ReadonlyArray<{ kind: string }>, start: number, side: 'a' | 'b'): number {
  let n = 1;
  for (let k = 0; k < start; k++) if (ops[k]!.kind !== (side === 'a' ? '+' : '-')) n++;
  return n;
}

function range(start: number, len: number): string {
  return len === 1 ? `${start}` : `${len === 0 ? start - 1 : start},${len}`;
}
