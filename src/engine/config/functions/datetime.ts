// Date and time functions: timestamp, plantimestamp, formatdate, timeadd, timecmp, over RFC 3339
// timestamps that keep their UTC offset as terraform's do.

import { argError, family, str, type Call } from './support.js';

interface Time {
  /** Milliseconds since the epoch. */
  ms: number;
  /** Nanoseconds past the second, as written. */
  frac: string;
  /** Offset from UTC in minutes; `z` when written as `Z`. */
  offset: number;
  z: boolean;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function parseTime(s: string, c: Call, i: number): Time {
  const m = RFC3339.exec(s);
  if (!m) return argError(c, i, `not a valid RFC3339 timestamp: ${JSON.stringify(s)}`);
  const [, y, mo, d, h, mi, se, frac, zone] = m;
  const z = zone!.toUpperCase() === 'Z';
  const offset = z
    ? 0
    : (zone![0] === '-' ? -1 : 1) * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6)));
  const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se));
  if (Number(mo) > 12 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(se) > 59)
    return argError(c, i, `not a valid RFC3339 timestamp: ${JSON.stringify(s)}`);
  return { ms: local - offset * 60_000, frac: frac ? frac.slice(1) : '', offset, z };
}

/** The wall-clock fields of a time in its own offset. */
function fields(t: Time) {
  const d = new Date(t.ms + t.offset * 60_000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth(),
    day: d.getUTCDate(),
    weekday: d.getUTCDay(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

function zone(t: Time, colon: boolean): string {
  const sign = t.offset < 0 ? '-' : '+';
  const a = Math.abs(t.offset);
  const hh = String(Math.floor(a / 60)).padStart(2, '0');
  const mm = String(a % 60).padStart(2, '0');
  return colon ? `${sign}${hh}:${mm}` : `${sign}${hh}${mm}`;
}

function rfc3339(t: Time): string {
  const f = fields(t);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const date = `${p(f.year, 4)}-${p(f.month + 1)}-${p(f.day)}T${p(f.hour)}:${p(f.minute)}:${p(f.second)}`;
  return date + (t.offset === 0 ? 'Z' : zone(t, true));
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function formatdate(spec: string, t: Time, c: Call): string {
  const f = fields(t);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const h12 = f.hour % 12 === 0 ? 12 : f.hour % 12;
  let out = '';
  for (let i = 0; i < spec.length;) {
    const ch = spec[i]!;
    if (ch === "'") {
      if (spec[i + 1] === "'") {
        out += "'";
        i += 2;
        continue;
      }
      let j = i + 1;
      let lit = '';
      for (;;) {
        if (j >= spec.length) return argError(c, 0, "unterminated literal '");
        if (spec[j] === "'" && spec[j + 1] === "'") {
          lit += "'";
          j += 2;
        } else if (spec[j] === "'") break;
        else lit += spec[j++];
      }
      out += lit;
      i = j + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(ch)) {
      out += ch;
      i++;
      continue;
    }
    let j = i;
    while (spec[j] === ch) j++;
    const tok = spec.slice(i, j);
    i = j;
    const r: string | undefined = (
      {
        YYYY: p(f.year, 4),
        YY: p(f.year % 100),
        MMMM: MONTHS[f.month],
        MMM: MONTHS[f.month]!.slice(0, 3),
        MM: p(f.month + 1),
        M: String(f.month + 1),
        DD: p(f.day),
        D: String(f.day),
        EEEE: DAYS[f.weekday],
        EEE: DAYS[f.weekday]!.slice(0, 3),
        hh: p(f.hour),
        h: String(f.hour),
        HH: p(h12),
        H: String(h12),
        AA: f.hour < 12 ? 'AM' : 'PM',
        aa: f.hour < 12 ? 'am' : 'pm',
        mm: p(f.minute),
        m: String(f.minute),
        ss: p(f.second),
        s: String(f.second),
        ZZZZZ: zone(t, true),
        ZZZZ: zone(t, false),
        ZZZ: t.offset === 0 ? 'UTC' : zone(t, false),
        Z: t.offset === 0 ? 'Z' : zone(t, true),
      } as Record<string, string | undefined>
    )[tok];
    if (r === undefined)
      return argError(c, 0, `invalid date format verb ${JSON.stringify(tok)}: unrecognized`);
    out += r;
  }
  return out;
}

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration, in milliseconds. */
function parseDuration(s: string, c: Call, i: number): number {
  const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(s);
  if (!m && s !== '0') return argError(c, i, `time: invalid duration ${JSON.stringify(s)}`);
  if (s === '0') return 0;
  let total = 0;
  for (const part of s.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g))
    total += Number(part[1]) * UNITS[part[2]!]!;
  return m![1] === '-' ? -total : total;
}

export const DATETIME_FUNCTIONS = family('datetime', {
  timestamp: [
    'timestamp()',
    'the current time in UTC, RFC 3339 (different at every evaluation)',
    () => new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  ],
  plantimestamp: [
    'plantimestamp()',
    'the time the plan was made, RFC 3339 UTC',
    () => new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  ],
  formatdate: [
    'formatdate(spec, timestamp)',
    'an RFC 3339 timestamp written in a format (`YYYY-MM-DD hh:mm`, `EEE, DD MMM YYYY`, ...)',
    ([f, t], c) => formatdate(str(f!, c, 0), parseTime(str(t!, c, 1), c, 1), c),
  ],
  timeadd: [
    'timeadd(timestamp, duration)',
    'the timestamp plus a Go duration (`10m`, `-1h30m`), keeping its UTC offset',
    ([t, d], c) => {
      const time = parseTime(str(t!, c, 0), c, 0);
      return rfc3339({ ...time, ms: time.ms + parseDuration(str(d!, c, 1), c, 1) });
    },
  ],
  timecmp: [
    'timecmp(timestamp_a, timestamp_b)',
    '-1, 0 or 1 as the first timestamp is before, equal to or after the second',
    ([a, b], c) => {
      const x = parseTime(str(a!, c, 0), c, 0);
      const y = parseTime(str(b!, c, 1), c, 1);
      const dx = x.ms * 1e6 + Number(x.frac.padEnd(9, '0').slice(3) || 0);
      const dy = y.ms * 1e6 + Number(y.frac.padEnd(9, '0').slice(3) || 0);
      return Math.sign(dx - dy) || 0;
    },
  ],
});
