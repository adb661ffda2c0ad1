// Numeric functions: abs, ceil, floor, log, max, min, parseint, pow, signum.

import { argError, family, int, num, str } from './support.js';

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

function digitValue(ch: string, base: number): number {
  if (base <= 36) return DIGITS.indexOf(ch.toLowerCase());
  return DIGITS.indexOf(ch);
}

export const NUMERIC_FUNCTIONS = family('numeric', {
  abs: ['abs(num)', 'the absolute value', ([n], c) => Math.abs(num(n!, c, 0))],
  ceil: [
    'ceil(num)',
    'the closest whole number greater than or equal to the number',
    ([n], c) => Math.ceil(num(n!, c, 0)) || 0,
  ],
  floor: [
    'floor(num)',
    'the closest whole number less than or equal to the number',
    ([n], c) => Math.floor(num(n!, c, 0)) || 0,
  ],
  log: [
    'log(num, base)',
    'the logarithm of the number in the base',
    ([n, b], c) => Math.log(num(n!, c, 0)) / Math.log(num(b!, c, 1)),
  ],
  max: [
    'max(...numbers)',
    'the greatest of the numbers',
    (args, c) => {
      if (!args.length) return argError(c, 0, 'must pass at least one number');
      return Math.max(...args.map((a, i) => num(a, c, i)));
    },
  ],
  min: [
    'min(...numbers)',
    'the smallest of the numbers',
    (args, c) => {
      if (!args.length) return argError(c, 0, 'must pass at least one number');
      return Math.min(...args.map((a, i) => num(a, c, i)));
    },
  ],
  parseint: [
    'parseint(number, base)',
    'the integer a string represents in a base from 2 to 62',
    ([s, b], c) => {
      const text = str(s!, c, 0);
      const base = int(b!, c, 1);
      if (base < 2 || base > 62)
        return argError(c, 1, 'base must be a whole number between 2 and 62 inclusive');
      const m = /^([+-]?)(.+)$/.exec(text);
      let n = 0;
      for (const ch of m?.[2] ?? '') {
        const d = digitValue(ch, base);
        if (d < 0 || d >= base)
          return argError(c, 0, `cannot parse ${JSON.stringify(text)} as a base ${base} integer`);
        n = n * base + d;
      }
      if (!m)
        return argError(c, 0, `cannot parse ${JSON.stringify(text)} as a base ${base} integer`);
      return m[1] === '-' && n !== 0 ? -n : n;
    },
  ],
  pow: [
    'pow(num, power)',
    'the number raised to the power',
    ([n, p], c) => Math.pow(num(n!, c, 0), num(p!, c, 1)),
  ],
  signum: [
    'signum(num)',
    '-1, 0 or 1: the sign of the number',
    ([n], c) => Math.sign(num(n!, c, 0)) || 0,
  ],
});
