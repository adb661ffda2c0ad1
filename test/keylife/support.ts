// Shared by the CLI tests of the key lifecycle. Their configurations use the default provider
// settings (data_dir .cmek, the default service principal, the local KMS), so `--data-dir .cmek`
// is exactly what the service/data/poll/kms verbs would find in the provider block; passing it skips
// loading the configuration (the HCL parser's WASM start-up, ~0.4 s CPU a spawn) on a machine
// whose cores are shared. A few calls in each file go through the configuration on purpose.
const VERBS_READING_CONFIG = new Set(['service', 'data', 'poll', 'server', 'kms']);

export function withDataDir(args: string[]): string[] {
  if (!VERBS_READING_CONFIG.has(args[0]!) || args.includes('--data-dir')) return args;
  return [...args, '--data-dir', '.cmek'];
}
