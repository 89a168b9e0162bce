import { z } from 'zod';
import { PERSONAL_TENANT_ID } from '../config.js';

/** Who is calling, as far as authorization cares: derived from a verified token and nothing else. */
export interface Principal {
  readonly tenantId: string;
  /** Object id of the user, or of the service principal for app-only tokens. */
  readonly objectId: string;
  readonly isApp: boolean;
  readonly scopes: ReadonlySet<string>;
  readonly roles: ReadonlySet<string>;
  readonly groups: ReadonlySet<string>;
  /** The calling application: `azp` (v2 tokens) or `appid` (v1 tokens). */
  readonly appId: string;
  readonly appDisplayName?: string;
  readonly name?: string;
  readonly username?: string;
  readonly email?: string;
  readonly personal: boolean;
}

const guid = z.uuid().transform((id) => id.toLowerCase());
const shortText = z.string().max(1024);

/** The claims this service relies on. Wrong types are a bad token (401), never a crash further down. */
export const claimsSchema = z.object({
  tid: guid,
  oid: guid,
  scp: shortText.optional(),
  roles: z.array(shortText).max(500).optional(),
  azp: shortText.min(1).optional(),
  appid: shortText.min(1).optional(),
  app_displayname: shortText.optional(),
  idtyp: shortText.optional(),
  groups: z.array(shortText).max(1000).optional(),
  name: shortText.optional(),
  preferred_username: shortText.optional(),
  email: shortText.optional(),
});

export type Claims = z.output<typeof claimsSchema>;

export function principalFromClaims(claims: Claims): Principal | undefined {
  const appId = claims.azp ?? claims.appid;
  if (!appId) return undefined;
  const scopes = new Set((claims.scp ?? '').split(' ').filter(Boolean));
  const isApp = claims.idtyp === 'app' || claims.scp === undefined;
  return {
    tenantId: claims.tid,
    objectId: claims.oid,
    isApp,
    scopes: isApp ? new Set() : scopes,
    roles: new Set(claims.roles ?? []),
    groups: new Set((claims.groups ?? []).map((id) => id.toLowerCase())),
    appId,
    ...(claims.app_displayname ? { appDisplayName: claims.app_displayname } : {}),
    ...(claims.name ? { name: claims.name } : {}),
    ...(claims.preferred_username ? { username: claims.preferred_username } : {}),
    ...(claims.email ? { email: claims.email } : {}),
    personal: claims.tid === PERSONAL_TENANT_ID,
  };
}
