// The normalized view the CMEK rules run on. Every front door (engine plan, policy check over
// terraform plan JSON / cdktf / .tf, Pulumi check/diff, CrossGuard, cdktf Aspect) builds these
// values and calls the same pure rule functions in src/rules/.

import type { KeyProvider } from '../model/kms.js';
import type { SourcePos } from '../model/position.js';

export type Profile = 'clickhouse' | 'cloudsql';

/** A key as a rule sees it. Any field may be missing when not known at plan time. */
export interface KeyView {
  /** The reference string when known: ARN, key id, alias, or GCP crypto-key name. */
  ref?: string;
  /** Address of the key resource in the same configuration/plan, when it comes from one. */
  address?: string;
  region?: string;
  provider?: KeyProvider;
  /** Set when the key is named through an alias: the alias resource's address or the alias
   * reference itself. */
  alias?: string;
  /** The key's state (`Enabled`, `Disabled`, `PendingDeletion`, `Destroyed`) when a lookup
   * read it (a data source); absent when not known. */
  state?: string;
}

export type NodeKind = 'service' | 'replica' | 'clone' | 'backup' | 'restore';
export type Action = 'create' | 'update' | 'replace' | 'delete' | 'noop';

/** A database-like resource (service, replica, clone, backup, restore) in a plan. */
export interface NodeView {
  address: string;
  /** Source resource type (`cmek_encrypted_service`, `google_sql_database_instance`, ...). */
  resourceType: string;
  kind: NodeKind;
  action: Action;
  profile: Profile;
  region?: string;
  /** Region before the change (existing resources), when known. A replacement into another
   * region is a new service, so the key-change rules leave it alone. */
  priorRegion?: string;
  /** Key after the change: KeyView, null = explicitly no key, undefined = not known. */
  key?: KeyView | null;
  /** Key before the change (existing resources). */
  priorKey?: KeyView | null;
  /** For replica/clone/backup/restore: the address (or id) of the primary/source/service/backup. */
  parent?: string;
  /** Whether the value of `key` is written in the configuration (vs inherited/absent). */
  keyWritten?: boolean;
  /** Where the key attribute (or the block) is written, for diagnostics. */
  pos?: SourcePos;
  keyAttribute?: string;
  /** Where individual attributes (`region`, `primary_id`, ...) are written, when known; a
   * diagnostic about `region` points there rather than at `pos`. */
  attrPos?: Record<string, SourcePos>;
  /** The provider stores the key's ARN, so an alias in the key attribute is a perpetual diff. */
  storesKeyArn?: boolean;
}

/** A key resource in the plan. */
export interface KeyNode {
  address: string;
  resourceType: string;
  action: Action;
  key: KeyView;
  pos?: SourcePos;
  attrPos?: Record<string, SourcePos>;
  /** Automatic rotation of the key material: true on, false off, undefined not known. */
  rotation?: boolean;
  /** Days between scheduling the deletion and the key material being gone, when known. */
  deletionWindowDays?: number;
  /** The attributes behind `rotation` and `deletionWindowDays`, for locations and messages. */
  rotationAttribute?: string;
  deletionWindowAttribute?: string;
}

/** A key policy attached to a key. `policy` is the parsed JSON document, when known. */
export interface PolicyNode {
  address: string;
  resourceType: string;
  keyAddress?: string;
  keyRef?: string;
  /** The principal that must be granted the required actions. */
  servicePrincipal?: string;
  policy?: unknown;
  profile?: Profile;
  pos?: SourcePos;
  /** Where `key_id`, `policy`, ... are written, when known. */
  attrPos?: Record<string, SourcePos>;
  /** Not written by the user: the default policy of a key that has no policy resource. Judged
   * only when a node of the plan uses the key (an unused key needs no grant). */
  implicit?: boolean;
  /** Built from IAM grants (one statement per member): the missing-actions check applies only
   * when a node of the plan uses the key, like an implicit policy. */
  judgeWhenUsed?: boolean;
  /** The grant to the service principal is judged only for services of these profiles that use
   * the key (the role's `judgeGrantFor`); public statements are judged whatever uses it. */
  judgeGrantFor?: readonly Profile[];
}

/** Things that exist outside the plan but still use keys (backups in the control plane that
 * are not in the configuration, services in state). Used by CMEK_KEY_IN_USE. */
export interface ExternalUse {
  description: string;
  key: KeyView;
}

export interface RuleInput {
  nodes: NodeView[];
  keys: KeyNode[];
  policies: PolicyNode[];
  external?: ExternalUse[];
}

/** The text of one rule's diagnostic. The rules build it for plan-time diagnostics and the
 * control plane for its own refusals (src/service/rule-error.ts), from the same functions. */
export interface RuleMessage {
  summary: string;
  detail: string;
}
