// go-plugin's handshake, plugin side: terraform starts the plugin with a magic cookie, the
// protocol versions it speaks, an optional port range and (with automatic mutual TLS) its
// client certificate; the plugin answers with ONE stdout line
// `CORE|APP|NETWORK|ADDRESS|PROTOCOL|CERT` = `1|6|tcp|127.0.0.1:PORT|grpc|CERT`, where CERT is
// the plugin's server certificate as base64 DER without padding (empty without TLS).

export const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
export const MAGIC_COOKIE_VALUE =
  'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
/** go-plugin's own protocol version (the first field of the line). */
export const CORE_PROTOCOL_VERSION = 1;
/** The Terraform plugin protocol major version this provider speaks. */
export const APP_PROTOCOL_VERSION = 6;

export interface HandshakeConfig {
  tls: boolean;
  /** PEM of terraform's client certificate (with TLS). */
  clientCert?: string;
  minPort: number;
  maxPort: number;
}

export class HandshakeError extends Error {}

/** What terraform asked for, from the environment it started the plugin with. */
export function readHandshakeEnv(env: NodeJS.ProcessEnv): HandshakeConfig {
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    throw new HandshakeError(
      'terraform-provider-cmek is a Terraform provider plugin: terraform starts it and talks to ' +
        'it over gRPC, so it is not meant to be run by hand.\n' +
        'Install it with `cmek provider install`, declare it in required_providers ' +
        '(source = "registry.terraform.io/cmek/cmek") and run `terraform init` ' +
        '(docs/cli/provider.md).',
    );
  }
  const versions = (env.PLUGIN_PROTOCOL_VERSIONS ?? String(APP_PROTOCOL_VERSION))
    .split(',')
    .map((v) => Number(v.trim()));
  if (!versions.includes(APP_PROTOCOL_VERSION)) {
    throw new HandshakeError(
      `terraform offered plugin protocol version(s) ${env.PLUGIN_PROTOCOL_VERSIONS}, but ` +
        `terraform-provider-cmek speaks protocol ${APP_PROTOCOL_VERSION}: use terraform 1.0 or later.`,
    );
  }
  const minPort = portEnv(env, 'PLUGIN_MIN_PORT', 0);
  const maxPort = portEnv(env, 'PLUGIN_MAX_PORT', 0);
  if (minPort > maxPort) {
    throw new HandshakeError(
      `PLUGIN_MIN_PORT (${minPort}) is greater than PLUGIN_MAX_PORT (${maxPort}).`,
    );
  }
  const disabled = !!env.TF_DISABLE_PLUGIN_TLS;
  const clientCert = env.PLUGIN_CLIENT_CERT;
  const config: HandshakeConfig = { tls: !disabled && !!clientCert, minPort, maxPort };
  if (config.tls) config.clientCert = clientCert;
  return config;
}

function portEnv(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new HandshakeError(`${name} must be a port number (0-65535), got "${raw}".`);
  return n;
}

/** The handshake line (with its newline). */
export function handshakeLine(port: number, certField: string): string {
  return `${CORE_PROTOCOL_VERSION}|${APP_PROTOCOL_VERSION}|tcp|127.0.0.1:${port}|grpc|${certField}\n`;
}
