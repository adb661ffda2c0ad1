// Shared set-up of the server tests: a local KMS (shared by both sides, so key ARNs are the
// same), an embedded control plane on one data directory, and `cmek server`'s HTTP server over
// another one, with a remote client signed with the default credentials.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalKms, type LocalKms } from '../../src/kms/local/index.js';
import type { KmsAdmin } from '../../src/kms/types.js';
import type { CredentialMap } from '../../src/kms/server/index.js';
import { openControlPlane, type ControlPlane } from '../../src/service/control-plane.js';
import { remoteControlPlane } from '../../src/service/remote/client.js';
import {
  startControlPlaneServer,
  type ControlPlaneServer,
  type ControlPlaneServerOptions,
} from '../../src/service/remote/server.js';
import type { ControlPlaneApi } from '../../src/service/api.js';

export interface Rig {
  root: string;
  kms: LocalKms;
  admin: KmsAdmin;
  euKey: string;
  /** Embedded, on `<root>/embedded`. */
  embedded: ControlPlane;
  /** What the server serves, on `<root>/served`. */
  served: ControlPlane;
  server: ControlPlaneServer;
  remote: ControlPlaneApi;
  logs: string[];
  close(): Promise<void>;
}

export async function rig(
  opts: Partial<Pick<ControlPlaneServerOptions, 'now' | 'credentials'>> & {
    credentials?: CredentialMap;
  } = {},
): Promise<Rig> {
  const root = await mkdtemp(join(tmpdir(), 'cmek-server-'));
  const kms = openLocalKms({ dir: join(root, 'kms'), rootKey: new Uint8Array(32).fill(9) });
  const admin = kms.admin();
  const euKey = (await admin.createKey({ region: 'eu-west-1' })).arn;
  const open = (d: string) =>
    openControlPlane({ dataDir: join(root, d), kms: admin, admin, durable: false });
  const embedded = await open('embedded');
  const served = await open('served');
  const logs: string[] = [];
  const server = await startControlPlaneServer({
    cp: served,
    kms,
    log: (l) => logs.push(l),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  });
  const remote = remoteControlPlane({
    endpoint: server.url,
    accessKeyId: 'test',
    secretAccessKey: 'test',
  });
  return {
    root,
    kms,
    admin,
    euKey,
    embedded,
    served,
    server,
    remote,
    logs,
    close: async () => {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
