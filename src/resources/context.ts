// Builds the ProviderContext the CRUD functions get, from the evaluated provider block, and the
// control plane the service resources drive. One context per run: the control plane (and so the
// cache of unwrapped keys) is shared by every resource of the run.
import { join } from 'node:path';
import { openKms, type KmsBackend } from '../kms/backend.js';
import { openLocalKms } from '../kms/local/index.js';
import { openControlPlane, type ControlPlane } from '../service/control-plane.js';
import type { ProviderContext, ProviderSettings } from './types.js';

/** Where the local KMS of a data directory lives. */
export function localKmsDir(dataDir: string): string {
  return join(dataDir, 'kms');
}

/** The KMS backend for the settings (local KMS under `<data_dir>/kms`, or AWS: only then is the
 * AWS SDK loaded). */
export function kmsBackendFor(settings: ProviderSettings): Promise<KmsBackend> {
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

const planes = new WeakMap<ProviderContext, Promise<ControlPlane>>();

/** The control plane of a context (opened once per context). Provider-managed keys (services
 * without kms_key) belong to the control plane: with the local backend that is the local KMS's
 * operator; with AWS a local KMS in the data directory, so "not CMEK" never creates AWS keys. */
export function controlPlaneFor(ctx: ProviderContext): Promise<ControlPlane> {
  let cp = planes.get(ctx);
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
    planes.set(ctx, cp);
  }
  return cp;
}
