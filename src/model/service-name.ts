// What a service name may be (services, replicas, clones, restores): checked by the resource
// schemas at plan time and by the control plane when a service is created.
export const SERVICE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/** The rule in words, for messages. */
export const SERVICE_NAME_RULE =
  '1-63 letters, digits, "_", "." or "-", starting with a letter or digit';

export function isServiceName(name: string): boolean {
  return SERVICE_NAME.test(name);
}
