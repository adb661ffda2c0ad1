// What the resources and the CLI verbs use of a control plane: the one interface both the
// embedded ControlPlane (control-plane.ts, on a data directory) and the remote client
// (remote/client.ts, over HTTP to `cmek server --listen`) implement. The list of remote
// operations (remote/operations.ts) is derived from the method paths named here.
import type { Readable } from 'node:stream';
import type { Diagnostic, DiagnosticError } from '../model/diagnostics.js';
import type { BackupRecord } from './backups.js';
import type { CreateCloneInput, CreateReplicaInput, RestoreInput } from './lifecycle.js';
import type { ByteRange, ObjectInfo } from './objects.js';
import type {
  CreateServiceInput,
  ServiceEvent,
  ServiceRecord,
  ServiceStatus,
  UpdateServiceInput,
} from './types.js';

/** Where an operation comes from in a configuration, for messages. */
export interface Where {
  address?: string;
}

/** The data plane of the services: objects stream both ways. */
export interface ObjectsApi {
  put(service: string, name: string, body: Readable | Uint8Array | string): Promise<ObjectInfo>;
  get(service: string, name: string, range?: ByteRange): Promise<Readable>;
  stat(service: string, name: string): Promise<ObjectInfo>;
  list(service: string, prefix?: string): Promise<ObjectInfo[]>;
  remove(service: string, name: string): Promise<boolean>;
}

export interface BackupsApi {
  create(
    serviceRef: string,
    opts?: { description?: string; address?: string },
  ): Promise<BackupRecord>;
  get(id: string): Promise<BackupRecord | undefined>;
  list(serviceId?: string): Promise<BackupRecord[]>;
  delete(id: string): Promise<void>;
}

export interface LifecycleApi {
  createReplica(input: CreateReplicaInput, w?: Where): Promise<ServiceRecord>;
  createClone(input: CreateCloneInput, w?: Where): Promise<ServiceRecord>;
  restore(input: RestoreInput, w?: Where): Promise<ServiceRecord>;
  finish(ref: string): Promise<ServiceRecord>;
  /** A same-region replica moves to its primary's new key (lifecycle.ts); idempotent. */
  followPrimaryKey(ref: string): Promise<ServiceRecord>;
}

export interface KeyCheckOutcome {
  record: ServiceRecord;
  previous: ServiceStatus;
  failure?: DiagnosticError;
}

export interface ControlPlaneApi {
  /** Where the control plane is, for messages: its data directory, or the server's URL. */
  readonly location: string;
  /** Every service record. Unparseable records go to `problems` when given (else they throw). */
  list(problems?: Diagnostic[]): Promise<ServiceRecord[]>;
  get(ref: string): Promise<ServiceRecord | undefined>;
  require(ref: string): Promise<ServiceRecord>;
  events(serviceId?: string): Promise<ServiceEvent[]>;
  create(input: CreateServiceInput, opts?: Where): Promise<ServiceRecord>;
  update(ref: string, input: UpdateServiceInput, opts?: Where): Promise<ServiceRecord>;
  start(ref: string): Promise<ServiceRecord>;
  checkKey(ref: string, opts?: Where): Promise<KeyCheckOutcome>;
  delete(ref: string): Promise<void>;
  readonly objects: ObjectsApi;
  readonly backups: BackupsApi;
  readonly lifecycle: LifecycleApi;
}
