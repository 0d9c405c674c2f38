/**
 * The fleet-provisioning MQTT API's topics (AWS IoT "Device provisioning MQTT API"), as data:
 * request topics, their `/accepted` and `/rejected` replies, and what a claim certificate may touch.
 */
export type PayloadFormat = 'json' | 'cbor';
export type FleetOperation = 'CreateKeysAndCertificate' | 'CreateCertificateFromCsr' | 'RegisterThing';

export interface FleetRequestTopic {
  operation: FleetOperation;
  format: PayloadFormat;
  templateName?: string;
  /** The topic the request came on; replies go to `${topic}/accepted` and `${topic}/rejected`. */
  topic: string;
}

const CREATE = /^\$aws\/certificates\/create\/(json|cbor)$/;
const CREATE_FROM_CSR = /^\$aws\/certificates\/create-from-csr\/(json|cbor)$/;
const PROVISION = /^\$aws\/provisioning-templates\/([^/#+]+)\/provision\/(json|cbor)$/;

/** Recognises a request topic of the fleet-provisioning API. */
export function parseFleetRequestTopic(topic: string): FleetRequestTopic | undefined {
  let m = CREATE.exec(topic);
  if (m) return { operation: 'CreateKeysAndCertificate', format: m[1] as PayloadFormat, topic };
  m = CREATE_FROM_CSR.exec(topic);
  if (m) return { operation: 'CreateCertificateFromCsr', format: m[1] as PayloadFormat, topic };
  m = PROVISION.exec(topic);
  if (m) return { operation: 'RegisterThing', format: m[2] as PayloadFormat, templateName: m[1] as string, topic };
  return undefined;
}

/** True for any topic of the API (requests and replies), which the broker never forwards. */
export function isFleetTopic(topic: string): boolean {
  return (
    topic.startsWith('$aws/certificates/create') || /^\$aws\/provisioning-templates\/[^/]+\/provision\//.test(topic)
  );
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Topics a claim certificate for `templateName` may publish to. */
export function claimMayPublish(topic: string, templateName: string): boolean {
  const r = parseFleetRequestTopic(topic);
  return r !== undefined && (r.operation !== 'RegisterThing' || r.templateName === templateName);
}

/**
 * Topic filters a claim certificate may subscribe to: the replies of its own API, optionally with
 * `+` or `#` as the last level (the request-response client subscribes that way).
 */
export function claimMaySubscribe(filter: string, templateName: string): boolean {
  const t = escapeRe(templateName);
  const re = new RegExp(
    `^\\$aws/(certificates/create|certificates/create-from-csr|provisioning-templates/${t}/provision)/(json|cbor)/(accepted|rejected|\\+|#)$`,
  );
  return re.test(filter);
}
