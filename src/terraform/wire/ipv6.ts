// A cheaper node:net isIPv6 for the plugin process. grpc-js formats every TCP address with
// `net.isIPv6` (binding the listener, registering it with channelz, each connection), and the
// first call compiles Node's large IPv6 regular expression: ≈12 ms of every plugin launch,
// before the handshake line, to learn that 127.0.0.1 is not IPv6. Every IPv6 address in text
// form contains a colon, so a string without one is answered false at once; any other string
// goes to Node's own check, so the answers are exactly Node's. Installed by the executable's
// main only (src/terraform/wire/serve.ts `runPluginMain`), in the plugin's own process.
import net from 'node:net';

type IsIPv6 = (input: string) => boolean;

/** `check`, answering false without it for text that cannot be an IPv6 address. */
export function withColonShortcut(check: IsIPv6): IsIPv6 {
  const fast = (input: string): boolean =>
    typeof input === 'string' && !input.includes(':') ? false : check(input);
  return fast;
}

const original: IsIPv6 = net.isIPv6;

/** Replace node:net's isIPv6 (the exports object grpc-js reads it from on every call). */
export function installFastIsIPv6(): void {
  (net as { isIPv6: IsIPv6 }).isIPv6 = withColonShortcut(original);
}
