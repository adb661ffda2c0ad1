// The plugin process: check the handshake environment, start the gRPC server on 127.0.0.1
// (mutual TLS trusting only terraform's client certificate, or plaintext with
// TF_DISABLE_PLUGIN_TLS), print the one handshake line on stdout, and serve until terraform
// calls Shutdown (or closes the process). SIGINT is ignored, as go-plugin plugins do: terraform
// forwards Ctrl-C as StopProvider, then Shutdown. The provider itself is created right after
// the handshake line (or by the first RPC, whichever comes first), so the handshake does not
// wait for it.

import type { ProviderHandler } from '../handler.js';
import {
  HandshakeError,
  handshakeLine,
  readHandshakeEnv,
  type HandshakeConfig,
} from './handshake.js';
import { installFastIsIPv6 } from './ipv6.js';
import { createLogger, type Logger } from './log.js';

export interface ServeOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the handshake line goes (stdout). */
  writeLine?: (line: string) => void;
  /** Exit the process after Shutdown (default true). */
  exit?: (code: number) => void;
  log?: Logger;
}

export interface RunningPlugin {
  port: number;
  line: string;
  stop(): Promise<void>;
}

/** Run the plugin; resolves once the handshake line is printed. A HandshakeError means the
 * environment was not terraform's (the caller prints it and exits 1). */
export async function servePlugin(
  factory: () => ProviderHandler | Promise<ProviderHandler>,
  opts: ServeOptions = {},
): Promise<RunningPlugin> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? createLogger(env);
  const config = readHandshakeEnv(env);
  const exit = opts.exit ?? ((code: number) => process.exit(code));

  const [grpc, server, cert] = await Promise.all([
    import('@grpc/grpc-js'),
    import('./server.js'),
    config.tls ? import('./tls.js').then((t) => t.createServerCert()) : undefined,
  ]);
  const srv = new grpc.Server({
    'grpc.max_receive_message_length': 256 << 20,
    'grpc.max_send_message_length': 256 << 20,
  });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await new Promise<void>((resolve) => srv.tryShutdown(() => resolve()));
  };
  // One provider per process, loaded by the first RPC or, sooner, right after the handshake line.
  let handler: Promise<ProviderHandler> | undefined;
  const loadHandler = (): Promise<ProviderHandler> => (handler ??= Promise.resolve().then(factory));
  server.addPluginServices(srv, {
    handler: loadHandler,
    log,
    onShutdown: () => {
      // Answer Shutdown first, then stop and exit: terraform waits for the process to end.
      setImmediate(() => {
        const t0 = performance.now();
        const timer = setTimeout(() => exit(0), 2000);
        void stop().then(() => {
          clearTimeout(timer);
          log.log('trace', 'plugin exiting', { stop_ms: Math.round(performance.now() - t0) });
          exit(0);
        });
      });
    },
  });

  const creds = cert
    ? grpc.ServerCredentials.createSsl(
        Buffer.from(config.clientCert!),
        [{ private_key: Buffer.from(cert.keyPem), cert_chain: Buffer.from(cert.certPem) }],
        true,
      )
    : grpc.ServerCredentials.createInsecure();
  const port = await bindInRange(srv, creds, config, log);
  const line = handshakeLine(port, cert?.handshakeField ?? '');
  (opts.writeLine ?? ((l: string) => void process.stdout.write(l)))(line);
  log.log('debug', 'plugin serving', { port, tls: config.tls });
  // Every launch needs the provider (terraform's first RPC follows at once): load it while
  // terraform reads the line and opens its TLS connection, instead of after its first RPC
  // arrives. A failure here is reported by that RPC, which awaits the same promise.
  setImmediate(() => void loadHandler().catch(() => undefined));
  return { port, line, stop };
}

async function bindInRange(
  srv: import('@grpc/grpc-js').Server,
  creds: import('@grpc/grpc-js').ServerCredentials,
  config: HandshakeConfig,
  log: Logger,
): Promise<number> {
  const bind = (port: number): Promise<number> =>
    new Promise((resolve, reject) =>
      srv.bindAsync(`127.0.0.1:${port}`, creds, (err, p) => (err ? reject(err) : resolve(p))),
    );
  if (config.minPort === 0 && config.maxPort === 0) return bind(0);
  let last: Error | undefined;
  for (let p = Math.max(config.minPort, 1); p <= config.maxPort; p++) {
    try {
      return await bind(p);
    } catch (e) {
      last = e as Error;
      log.log('trace', `port ${p} unavailable`, { error: last.message });
    }
  }
  throw new HandshakeError(
    `no free port between PLUGIN_MIN_PORT=${config.minPort} and PLUGIN_MAX_PORT=${config.maxPort}` +
      (last ? ` (${last.message})` : ''),
  );
}

/** The executable's main: serve, or explain on stderr and exit 1. Settles once the handshake
 * line is printed (with undefined if the plugin could not start). */
/** How often the plugin checks that terraform, its parent, is still there. */
const ORPHAN_CHECK_MS = 1000;
/** How long an orphaned plugin lets calls in progress finish before it exits anyway. */
const ORPHAN_GRACE_MS = 30_000;

export function runPluginMain(
  factory: () => ProviderHandler | Promise<ProviderHandler>,
): Promise<RunningPlugin | undefined> {
  installFastIsIPv6();
  process.on('SIGINT', () => {
    // terraform sends its own SIGINT to the process group and then StopProvider: ignore it.
  });
  let running: RunningPlugin | undefined;
  const stop = () => {
    void (running?.stop() ?? Promise.resolve()).finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  // terraform killed (kill -9, a crash): nobody will call Shutdown, and the process was handed to
  // another parent. Stop rather than linger; an apply in flight finishes its step first, as on
  // SIGTERM (running.stop() waits for calls in progress).
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    setTimeout(() => process.exit(0), ORPHAN_GRACE_MS).unref();
    stop();
  }, ORPHAN_CHECK_MS);
  watch.unref();
  return servePlugin(factory)
    .then((r) => (running = r))
    .catch((e: unknown) => {
      const msg =
        e instanceof HandshakeError
          ? e.message
          : `terraform-provider-cmek could not start: ${(e as Error).message}`;
      process.stderr.write(`${msg}\n`);
      process.exitCode = 1;
      return undefined;
    });
}
