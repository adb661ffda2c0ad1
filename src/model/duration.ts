// The one duration parser: Go's time.ParseDuration grammar ("30s", "10m", "1h30m", "500ms",
// "1.5h"; units ns, us, µs, ms, s, m, h), used by `key_check_interval`, `cmek poll
// --interval` and `-lock-timeout`. With `bareSeconds` a bare number of seconds ("5") is
// accepted too, as Terraform's -lock-timeout accepts it. Result in milliseconds; undefined when
// invalid.
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const GRAMMAR = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

export function parseDuration(
  text: string,
  opts: { bareSeconds?: boolean } = {},
): number | undefined {
  if (opts.bareSeconds && /^\d+$/.test(text)) return Number(text) * 1000;
  if (!GRAMMAR.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return total;
}
