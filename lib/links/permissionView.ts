import { encodeToken } from '../drives/ids.js';
import type { Link, Recipient } from './link.js';
import { rolesOf } from './link.js';

export const linkToken = (link: Link) => encodeToken({ driveId: link.driveId, permissionId: link.id, secret: link.secret });
export const webUrlOf = (link: Link, origin: string) => `${origin}/s/${linkToken(link)}`;
export const embedUrlOf = (link: Link, origin: string) => `${origin}/embed/${linkToken(link)}`;

function identityOf(recipient: Recipient) {
  if ('email' in recipient) return { user: { email: recipient.email } };
  if ('objectId' in recipient) return { user: { id: recipient.objectId } };
  return { user: { displayName: recipient.alias } };
}

export interface ViewOptions {
  /** Origin of webUrl/webHtml: PUBLIC_BASE_URL, or the request's own origin. */
  readonly origin: string;
  /** Secrets (shareId, webUrl, webHtml) only go to callers who could create the link themselves (Graph's rule). */
  readonly withSecrets: boolean;
  readonly context?: string;
}

/** Graph's `permission` resource for a sharing link (SPEC section 5). */
export function permissionView(link: Link, options: ViewOptions) {
  const { origin, withSecrets } = options;
  return {
    ...(options.context ? { '@odata.context': options.context } : {}),
    id: link.id,
    roles: rolesOf(link.type),
    ...(withSecrets ? { shareId: `s!${linkToken(link)}` } : {}),
    hasPassword: link.passwordHash !== undefined,
    ...(link.expirationDateTime ? { expirationDateTime: link.expirationDateTime } : {}),
    ...(link.scope === 'users' ? { grantedToIdentitiesV2: link.recipients.map(identityOf) } : {}),
    link: {
      type: link.type,
      scope: link.scope,
      preventsDownload: link.type === 'blocksDownload',
      ...(withSecrets ? { webUrl: webUrlOf(link, origin) } : {}),
      ...(withSecrets && link.type === 'embed'
        ? { webHtml: `<iframe src="${embedUrlOf(link, origin)}" width="98" height="120" frameborder="0" scrolling="no"></iframe>` }
        : {}),
      application: { id: link.appId, ...(link.appDisplayName ? { displayName: link.appDisplayName } : {}) },
    },
  };
}
