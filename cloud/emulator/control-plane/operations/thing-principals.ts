/**
 * AttachThingPrincipal/ListPrincipalThings (DetachThingPrincipal/ListThingPrincipals are in
 * thing-registration.ts): which certificates a thing has. The principal travels in the `x-amzn-principal` header, as the service
 * model binds it (AWS IoT API Reference, "AttachThingPrincipal", "ListPrincipalThings").
 */
import {
  invalidRequest,
  notFound,
  iotArn,
  paginate,
  PAGE_SIZE,
  THING_NAME,
  checkName,
  queryInteger,
  requiredHeader,
} from '../contract/index.js';
import type { ControlPlaneContext, Operation } from '../contract/index.js';

/** AWS IoT's header for the principal (a certificate ARN or a Cognito identity id). */
export const PRINCIPAL_HEADER = 'x-amzn-principal';
/** AttachThingPrincipal's optional thingPrincipalType (service model enum). */
const THING_PRINCIPAL_TYPES = new Set(['EXCLUSIVE_THING', 'NON_EXCLUSIVE_THING']);

function thingResource(ctx: ControlPlaneContext, name: string): string {
  return iotArn(ctx, `thing/${name}`);
}

function requireThing(ctx: ControlPlaneContext, thingName: string): void {
  if (ctx.registry.things.get(thingName) === undefined) throw notFound(`Thing ${thingName} cannot be found.`);
}

/** A certificate principal must exist (AWS answers ResourceNotFoundException); other principals are taken as given. */
export function requireKnownPrincipal(ctx: ControlPlaneContext, principal: string): void {
  const certPrefix = iotArn(ctx, 'cert/');
  if (!principal.startsWith(certPrefix)) return;
  const id = principal.slice(certPrefix.length);
  if (ctx.registry.certificates.get(id) === undefined) throw notFound(`The certificate does not exist: ${id}`);
}

export const attachThingPrincipal: Operation = {
  name: 'AttachThingPrincipal',
  method: 'PUT',
  path: '/things/{thingName}/principals',
  prepare({ labels, headers, query }, ctx) {
    const thingName = checkName(labels.thingName ?? '', 'thingName', THING_NAME);
    const principal = requiredHeader(headers, PRINCIPAL_HEADER, 'principal');
    const type = query.get('thingPrincipalType');
    if (type !== undefined && !THING_PRINCIPAL_TYPES.has(type)) {
      throw invalidRequest(
        `1 validation error detected: Value '${type}' at 'thingPrincipalType' failed to satisfy constraint: Member must satisfy enum value set: [EXCLUSIVE_THING, NON_EXCLUSIVE_THING]`,
      );
    }
    return {
      permissions: [{ action: 'iot:AttachThingPrincipal', resource: thingResource(ctx, thingName) }],
      run() {
        requireThing(ctx, thingName);
        requireKnownPrincipal(ctx, principal);
        ctx.registry.things.attachPrincipal(thingName, principal);
        return {};
      },
    };
  },
};

export const listPrincipalThings: Operation = {
  name: 'ListPrincipalThings',
  method: 'GET',
  path: '/principals/things',
  prepare({ headers, query }, ctx) {
    const principal = requiredHeader(headers, PRINCIPAL_HEADER, 'principal');
    const maxResults = queryInteger(query, 'maxResults', PAGE_SIZE);
    return {
      permissions: [{ action: 'iot:ListPrincipalThings', resource: '*' }],
      run() {
        requireKnownPrincipal(ctx, principal);
        const { page, next } = paginate(
          ctx.registry.things.listByPrincipal(principal),
          query.get('nextToken'),
          maxResults,
        );
        return { things: page, ...(next !== undefined ? { nextToken: next } : {}) };
      },
    };
  },
};
