import { accessDenied, invalidRequest, notSupported } from '../http/errors.js';
import type { Drive } from '../drives/drive.js';
import type { LinkScope, LinkType } from '../links/link.js';
import type { TenantSettings } from './tenantSettings.js';

const SCOPE_OF_DEFAULT_LINK_TYPE: Record<TenantSettings['defaultSharingLinkType'], LinkScope> = {
  internal: 'organization',
  anonymousAccess: 'anonymous',
  direct: 'users',
};

/** An omitted type or scope takes the tenant's defaults; personal drives only know anonymous links. */
export function linkDefaults(drive: Drive, settings: TenantSettings, asked: { type?: LinkType; scope?: LinkScope }) {
  return {
    type: asked.type ?? settings.defaultLinkPermission,
    scope: asked.scope ?? (drive.driveType === 'personal' ? 'anonymous' : SCOPE_OF_DEFAULT_LINK_TYPE[settings.defaultSharingLinkType]),
  };
}

/** SPEC section 5's validity matrix: what each drive type and the tenant's policy allow. */
export function checkLinkAllowed(
  drive: Drive,
  settings: TenantSettings,
  link: { type: LinkType; scope: LinkScope; hasRecipients: boolean; sendNotification?: boolean },
): void {
  if (link.sendNotification === true) {
    throw notSupported('sendNotification is not supported: this service does not send e-mail. Share the webUrl yourself.');
  }
  if (drive.driveType === 'personal') {
    if (link.scope !== 'anonymous') {
      throw invalidRequest(`Link scope '${link.scope}' is only available in OneDrive for Business and SharePoint.`);
    }
    if (link.type === 'blocksDownload' || link.type === 'createOnly') {
      throw invalidRequest(`Link type '${link.type}' is only available in OneDrive for Business and SharePoint.`);
    }
  } else if (link.type === 'embed') {
    throw invalidRequest("Link type must be either 'edit' or 'view'.");
  }
  if (link.scope === 'users' && !link.hasRecipients) {
    throw invalidRequest("Links with scope 'users' need at least one recipient.");
  }
  if (link.scope !== 'users' && link.hasRecipients) {
    throw invalidRequest("recipients can only be given for links with scope 'users'.");
  }
  if (link.scope === 'anonymous' && settings.sharingCapability !== 'externalUserAndGuestSharing') {
    throw accessDenied('Anonymous (anyone) links are disabled for this organization by its sharing policy.');
  }
}
