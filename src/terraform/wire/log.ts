// The plugin's log: stderr only (stdout carries the handshake line and nothing else), as
// hclog JSON lines, which go-plugin's client in terraform parses and re-logs at their level
// under the provider's name. The level is TF_LOG_PROVIDER, else TF_LOG (TRACE, DEBUG, INFO,
// WARN, ERROR, OFF; JSON means TRACE); unset, only warnings and errors are written.

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel | 'off', number> = {
  trace: 0,
  debug: 1,
  info: 2,
  warn: 3,
  error: 4,
  off: 5,
};

export function logLevel(env: NodeJS.ProcessEnv): LogLevel | 'off' {
  const raw = (env.TF_LOG_PROVIDER || env.TF_LOG || '').trim().toLowerCase();
  if (raw === '') return 'warn';
  if (raw === 'json') return 'trace';
  if (raw in RANK) return raw as LogLevel | 'off';
  return 'trace'; // terraform treats any other non-empty TF_LOG as TRACE
}

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  enabled(level: LogLevel): boolean;
}

export function createLogger(
  env: NodeJS.ProcessEnv,
  write: (line: string) => void = (l) => void process.stderr.write(l),
): Logger {
  const min = RANK[logLevel(env)];
  return {
    enabled: (level) => RANK[level] >= min,
    log(level, message, fields) {
      if (RANK[level] < min) return;
      write(
        `${JSON.stringify({
          '@level': level,
          '@message': message,
          '@module': 'provider.cmek',
          '@timestamp': new Date().toISOString(),
          ...fields,
        })}\n`,
      );
    },
  };
}
