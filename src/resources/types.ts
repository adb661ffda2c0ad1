// The contract every resource type implements (one file per type under src/resources/). The
// engine's planner calls `plan` (pure), the applier calls the CRUD functions; the Pulumi
// dynamic providers and cdktf call the same code, so a resource's logic exists once.

import type { z } from 'zod';
import type { Kms, KmsAdmin } from '../kms/types.js';
import type { Diagnostic } from '../model/diagnostics.js';
import type { Attrs, KeyFacts } from '../model/values.js';

export type { Attrs } from '../model/values.js';

/** The provider configuration after evaluation (`provider "cmek" {}`), with defaults applied. */
export interface ProviderSettings {
  /** Absolute path of the data directory (default `<workdir>/.cmek`). */
  dataDir: string;
  /** Principal the services use to call the KMS. */
  servicePrincipal: string;
  kms: { backend: 'local' } | { backend: 'aws'; region?: string; endpoint?: string };
  /** A shared control plane (`cmek server --listen`, docs/team.md), from the provider block's
   * `endpoint`: services, data and backups live there. With `kms` left `local`, the KMS is the
   * server's too (its AWS KMS wire protocol, same URL). Absent: the embedded control plane. */
  remote?: RemoteSettings;
}

export interface RemoteSettings {
  endpoint: string;
  /** Provider `access_key`/`secret_key`, else CMEK_ACCESS_KEY_ID/CMEK_SECRET_ACCESS_KEY, else
   * the server's default `test`/`test`. Never written to state, plans or output. */
  accessKeyId: string;
  secretAccessKey: string;
}

export const DEFAULT_SERVICE_PRINCIPAL = 'arn:aws:iam::000000000000:role/cmek-service';

/** What CRUD functions get. Built once per run by src/resources/context.ts. */
export interface ProviderContext {
  settings: ProviderSettings;
  /** The KMS as the operator (the account root of the local account, or the AWS caller). */
  kms: KmsAdmin;
  /** The KMS as the service principal: what services use for their keys. */
  serviceKms: Kms;
}

export interface PlanInput {
  /** Evaluated configuration attributes (may contain Unknown). Schema-validated already. */
  config: Attrs;
  /** Attributes from state, when the resource exists. */
  prior?: Attrs;
  /** The planned changes of the resources this one's attributes reference, by attribute name
   * (`primary_id` → the primary's change), when they are planned in the same run. A replica
   * reads its primary's key rotation here to follow it. */
  referenced?: Readonly<Record<string, ReferencedChange>>;
}

/** A referenced resource's planned change, as a dependent's plan sees it. */
export interface ReferencedChange {
  action: 'create' | 'update' | 'replace' | 'delete' | 'noop';
  before: Attrs | null;
  after: Attrs | null;
}

export interface PlannedResource {
  /** Proposed new attributes: config plus computed ones (Unknown where not known yet; kept from
   * prior on update when they will not change). */
  after: Attrs;
  /** Attribute names whose change forces replacement. Empty = in-place update (or no-op). */
  requiresReplace: string[];
  /** Human reason per attribute for rotations and other notable in-place changes. */
  notes?: Record<string, string>;
}

export interface ResourceType<S extends z.ZodType = z.ZodType> {
  type: string;
  /** Schema of the configuration attributes (not the computed ones). */
  schema: S;
  /** Computed attribute names. */
  computed: readonly string[];
  /** Attributes that force replacement when they change. */
  forceNew: readonly string[];
  /** Attributes never to show in plan output (secrets). Optional: none when absent. */
  sensitive?: readonly string[];
  plan(input: PlanInput): PlannedResource;
  create(planned: Attrs, ctx: ProviderContext): Promise<Attrs>;
  /** Current attributes, or null if the object is gone (drift). */
  read(prior: Attrs, ctx: ProviderContext): Promise<Attrs | null>;
  update(prior: Attrs, planned: Attrs, ctx: ProviderContext): Promise<Attrs>;
  delete(prior: Attrs, ctx: ProviderContext): Promise<void>;
  /** For key resources: facts about the key known at plan time (region, provider), so an
   * unknown `arn` still carries them. */
  keyFacts?(after: Attrs, address: string): KeyFacts | undefined;
  /** Crash recovery: the engine records a create in the state before calling `create`; if the
   * run died before the result was written, the next plan asks this to find the object that
   * create may have made (a service by its unique name, a key by its alias), or null when
   * there is none. Optional: without it the engine plans a fresh create and warns that an
   * orphan may exist. `planned` holds the known planned attributes. */
  adopt?(planned: Attrs, ctx: ProviderContext): Promise<Attrs | null>;
  /** Plan-time checks against the real world, run by the planner only with refresh on, for
   * instances it creates or replaces, on the values known at plan time (a literal `primary_id`
   * that names no service). Each diagnostic names its `attribute`; the planner adds the
   * address and that attribute's file:line. `ctx` is made on first use, so a check with
   * nothing to look up touches nothing (no KMS root key, no data directory). Optional. */
  checkLive?(planned: Attrs, ctx: () => Promise<ProviderContext>): Promise<Diagnostic[]>;
  /** Import (`cmek import ADDR ID`, `import { to, id }`), like terraform-plugin-framework's
   * ResourceWithImportState: from the id a user knows (a key id, ARN or alias; a service id or
   * name; a backup id) the attributes `read` needs to find the object, or null when there is
   * no such object. The engine then calls `read` with them and records the result. Optional:
   * without it `read` gets `{ id }` (ImportStatePassthroughID). */
  importState?(id: string, ctx: ProviderContext): Promise<Attrs | null>;
}
