// Builds the ProviderContext the CRUD functions get, from the evaluated provider block, and the
// control plane the service resources drive. One context per run: the control plane (and so the
// cache of unwrapped keys) is shared by every resource of the run.
import { join } from 'node:path';
import { openKms, type KmsBackend } from '../kms/backend.js';
import { openLocalKms } from '../kms/local/index.js';
import { diag, DiagnosticError } from '../model/diagnostics.js';
import type { ControlPlaneApi } from '../service/api.js';
import { openControlPlane, type ControlPlane } from '../service/control-plane.js';
import type { ProviderContext, ProviderSettings } from './types.js';

/** Where the local KMS of a data directory lives. */
export function localKmsDir(dataDir: string): string {
  return join(dataDir, 'kms');
}

/** The KMS backend for the settings (local KMS under `<data_dir>/kms`, or AWS: only then is the
 * AWS SDK loaded). */
export function kmsBackendFor(settings: ProviderSettings): Promise<KmsBackend> {
  // With a shared control plane, "the local KMS" is the server's: its AWS KMS wire protocol on
  // the same URL, signed with the same credentials (docs/team.md).
  const remote = settings.remote;
  if (remote && settings.kms.backend === 'local') {
    return openKms({
      backend: 'aws',
      region: REMOTE_KMS_REGION,
      endpoint: remote.endpoint,
      credentials: { accessKeyId: remote.accessKeyId, secretAccessKey: remote.secretAccessKey },
    });
  }
  return settings.kms.backend === 'local'
    ? openKms({ backend: 'local', dataDir: settings.dataDir })
    : openKms({
        backend: 'aws',
        ...(settings.kms.region ? { region: settings.kms.region } : {}),
        ...(settings.kms.endpoint ? { endpoint: settings.kms.endpoint } : {}),
      });
}

/** The operator's KMS client and the service principal's, for one run. */
export async function createProviderContext(settings: ProviderSettings): Promise<ProviderContext> {
  const backend = await kmsBackendFor(settings);
  return {
    settings,
    kms: backend.admin(),
    serviceKms: backend.client(settings.servicePrincipal),
  };
}

/** Region of calls to a server's local KMS that name none (the local KMS's own default). */
const REMOTE_KMS_REGION = 'us-east-1';

const planes = new WeakMap<ProviderContext, Promise<ControlPlaneApi>>();
const embedded = new WeakMap<ProviderContext, Promise<ControlPlane>>();

/** The control plane the resources and CLI verbs drive (opened once per context): the one of
 * `cmek server` at the provider's `endpoint`, else the embedded one of the data directory. */
export function controlPlaneFor(ctx: ProviderContext): Promise<ControlPlaneApi> {
  let cp = planes.get(ctx);
  if (!cp) {
    const remote = ctx.settings.remote;
    // The remote client (and the SigV4 signer it loads) only for a remote control plane.
    cp = remote
      ? import('../service/remote/client.js').then((m) => m.remoteControlPlane(remote))
      : embeddedControlPlaneFor(ctx);
    planes.set(ctx, cp);
  }
  return cp;
}

/** The embedded control plane of a context's data directory, for what runs it (`cmek server`,
 * `cmek poll`). Provider-managed keys (services without kms_key) belong to the control plane:
 * with the local backend that is the local KMS's operator; with AWS a local KMS in the data
 * directory, so "not CMEK" never creates AWS keys. */
export function embeddedControlPlaneFor(ctx: ProviderContext): Promise<ControlPlane> {
  if (ctx.settings.remote) {
    throw new DiagnosticError(
      diag(
        'USAGE',
        `This command runs the control plane itself, but the provider block names the server ${ctx.settings.remote.endpoint}`,
        'The server runs the key poller for its services. Run this command where the server ' +
          'runs (its data directory), or with --data-dir.',
      ),
    );
  }
  let cp = embedded.get(ctx);
  if (!cp) {
    const admin =
      ctx.settings.kms.backend === 'local'
        ? ctx.kms
        : openLocalKms({ dir: localKmsDir(ctx.settings.dataDir) }).admin();
    cp = openControlPlane({
      dataDir: ctx.settings.dataDir,
      kms: ctx.serviceKms,
      admin,
      principal: ctx.settings.servicePrincipal,
    });
    embedded.set(ctx, cp);
  }
  return cp;
}
