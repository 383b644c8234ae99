/**
 * The shape of a SCIM User (canonical names, which attributes are multi-valued or complex,
 * which are read-only), taken from scimmy's schema definitions so PATCH targets are
 * checked against the same schema that validates the result.
 */
import SCIMMY from 'scimmy';
import { URN } from '../urns.js';

export interface AttributeShape {
  readonly name: string;
  readonly multiValued: boolean;
  readonly complex: boolean;
  readonly readOnly: boolean;
  readonly sub: ReadonlyMap<string, AttributeShape>;
}

interface ScimmyAttribute {
  name: string;
  type: string;
  config?: { multiValued?: boolean; mutable?: boolean | string };
  subAttributes?: ScimmyAttribute[];
}

function shape(a: ScimmyAttribute): AttributeShape {
  return {
    name: a.name,
    multiValued: a.config?.multiValued === true,
    complex: a.type === 'complex',
    readOnly: a.config?.mutable === false || a.config?.mutable === 'readOnly',
    sub: new Map((a.subAttributes ?? []).map((s) => [s.name.toLowerCase(), shape(s)])),
  };
}

function shapes(attributes: readonly unknown[]): Map<string, AttributeShape> {
  return new Map((attributes as ScimmyAttribute[]).map((a) => [a.name.toLowerCase(), shape(a)]));
}

const enterprise = shapes(SCIMMY.Schemas.EnterpriseUser.definition.attributes);
for (const common of ['schemas', 'id', 'externalid', 'meta']) enterprise.delete(common);

/** Top-level User attributes, plus the Enterprise extension as one complex attribute named by its URN. */
export const USER_SHAPE: ReadonlyMap<string, AttributeShape> = new Map([
  ...shapes(SCIMMY.Schemas.User.definition.attributes),
  [
    URN.enterpriseUser.toLowerCase(),
    { name: URN.enterpriseUser, multiValued: false, complex: true, readOnly: false, sub: enterprise },
  ],
]);
