/**
 * Who a connection is, for authorization: its certificate (the identity), its client id, the
 * policy variables AWS IoT defines for it, and the policies attached to the certificate.
 */
import { X509Certificate } from 'node:crypto';
import type { PolicyDocument } from '../contracts/index.js';
import type { CertificateRecord, CertificateUsability, Registry } from '../registry/index.js';

/** Attached policies are re-read at most this often per connection, in milliseconds. */
export const POLICY_CACHE_MS = 1000;

const SUBJECT_VARIABLES: Record<string, string> = {
  CN: 'CommonName',
  O: 'Organization',
  OU: 'OrganizationalUnit',
  C: 'Country',
  ST: 'StateName',
  L: 'Locality',
  serialNumber: 'SerialNumber',
};

/**
 * What a connection keeps of its certificate: what authorization asks. Not the PEM (a kilobyte
 * per connection, for as long as it stays connected): certificate variables re-read it when a
 * policy first needs them.
 */
export type PrincipalCertificate = Pick<
  CertificateRecord,
  'certificateId' | 'certificateArn' | 'isClaim' | 'templateName'
>;

export interface ConnectionPrincipal {
  certificate: PrincipalCertificate;
  clientId: string;
  variables: Record<string, string>;
  policies(): PolicyDocument[];
}

/** Parsing X.509 costs more than the rest of a connect: certificate variables are kept per id. */
const certificateVariables = new Map<string, Record<string, string>>();
/** Bound of that cache (entries); it is simply emptied when full. */
export const CERTIFICATE_VARIABLES_CACHE_ENTRIES = 10_000;

function variablesOfCertificate(registry: Registry, certificateId: string): Record<string, string> {
  let vars = certificateVariables.get(certificateId);
  if (!vars) {
    vars = {};
    const pem = registry.certificates.get(certificateId)?.certificatePem;
    // A certificate deleted while connected has no variables; the recheck closes its connection.
    if (pem === undefined) return vars;
    const x509 = new X509Certificate(pem);
    for (const line of x509.subject.split('\n')) {
      const i = line.indexOf('=');
      const name = SUBJECT_VARIABLES[line.slice(0, i)];
      if (i > 0 && name) vars[`iot:Certificate.Subject.${name}`] = line.slice(i + 1);
    }
    vars['iot:Certificate.SerialNumber'] = x509.serialNumber;
    if (certificateVariables.size >= CERTIFICATE_VARIABLES_CACHE_ENTRIES) certificateVariables.clear();
    certificateVariables.set(certificateId, vars);
  }
  return vars;
}

/**
 * Parsed policy documents by their text, shared by every connection they are attached to: a
 * thousand devices with the same policy hold one parsed copy, and each connect parses nothing new.
 * A document's text is immutable (a policy changes by a new version, a new text), so the text is
 * the key. Evaluators only read documents (IotPolicyEvaluator takes them readonly).
 */
const parsedPolicies = new Map<string, PolicyDocument | null>();
/** Bound of that cache (entries); it is simply emptied when full. */
const PARSED_POLICIES_CACHE_ENTRIES = 1000;

function parsedPolicy(document: string): PolicyDocument | undefined {
  let parsed = parsedPolicies.get(document);
  if (parsed === undefined) {
    try {
      parsed = JSON.parse(document) as PolicyDocument;
    } catch {
      // A stored document that is not JSON grants nothing (fail closed), as AWS never stores
      // one: the control plane validates documents, so this is not an error to report per check.
      parsed = null;
    }
    if (parsedPolicies.size >= PARSED_POLICIES_CACHE_ENTRIES) parsedPolicies.clear();
    parsedPolicies.set(document, parsed);
  }
  return parsed ?? undefined;
}

export function buildPrincipal(
  registry: Registry,
  certificate: CertificateRecord,
  clientId: string,
  now: () => Date,
): ConnectionPrincipal {
  const variables: Record<string, string> = { 'iot:ClientId': clientId };
  // AWS: the thing of a connection is the thing named like the client id, if this certificate is attached to it.
  const thing = registry.things.get(clientId);
  const attached = thing !== undefined && registry.things.listPrincipals(clientId).includes(certificate.certificateArn);
  variables['iot:Connection.Thing.IsAttached'] = attached ? 'true' : 'false';
  if (attached && thing) {
    variables['iot:Connection.Thing.ThingName'] = thing.thingName;
    if (thing.thingTypeName !== undefined) variables['iot:Connection.Thing.ThingTypeName'] = thing.thingTypeName;
    for (const [k, v] of Object.entries(thing.attributes)) variables[`iot:Connection.Thing.Attributes[${k}]`] = v;
  }
  let cached: PolicyDocument[] = [];
  let cachedAt = -Infinity;
  let withCertificate = false;
  const { certificateId, certificateArn, isClaim, templateName } = certificate;
  return {
    certificate: { certificateId, certificateArn, isClaim, ...(templateName !== undefined ? { templateName } : {}) },
    clientId,
    variables,
    policies() {
      const t = now().getTime();
      if (t - cachedAt >= POLICY_CACHE_MS) {
        const records = registry.policies.listAttached(certificateArn);
        // Certificate variables cost an X.509 parse: only when a policy uses them.
        if (!withCertificate && records.some((p) => p.policyDocument.includes('iot:Certificate.'))) {
          Object.assign(variables, variablesOfCertificate(registry, certificateId));
          withCertificate = true;
        }
        cached = records.flatMap((p) => parsedPolicy(p.policyDocument) ?? []);
        cachedAt = t;
      }
      return cached;
    },
  };
}

/** Why a certificate may not be used now, or undefined when it may. */
export function certificateRefusal(cert: CertificateUsability | undefined, now: Date): string | undefined {
  if (!cert) return 'unknown certificate';
  if (cert.status !== 'ACTIVE') return `certificate is ${cert.status}`;
  if (cert.notAfter.getTime() <= now.getTime() || cert.notBefore.getTime() > now.getTime() + 5 * 60_000)
    return 'certificate is outside its validity period';
  if (cert.isClaim && (cert.claimExpiresAt === undefined || cert.claimExpiresAt.getTime() <= now.getTime()))
    return 'claim certificate has expired';
  return undefined;
}
