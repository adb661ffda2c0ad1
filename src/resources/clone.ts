// cmek_clone: a writable point-in-time copy of a service under the source's key, in the
// source's region (src/service/lifecycle.ts). `kms_key`/`region` may only repeat the source's;
// the rules say so at plan time (CMEK_CLONE_KEY_INHERITED) and the control plane again at apply.
import { copyResourceType } from './copy.js';

export const clone = copyResourceType({
  type: 'cmek_clone',
  originAttr: 'source_id',
  kind: 'clone',
  make: (cp, { origin, ...rest }) => cp.lifecycle.createClone({ source: origin, ...rest }),
});
