import { accessDenied, invalidRequest } from '../http/errors.js';
import type { Principal } from '../identity/principal.js';

const READ = ['SharePointTenantSettings.Read.All', 'SharePointTenantSettings.ReadWrite.All'];
const WRITE = ['SharePointTenantSettings.ReadWrite.All'];

/** Tenant settings need SharePointTenantSettings.* as a delegated scope or an app role; personal accounts have none. */
export function requireSettingsAccess(principal: Principal, access: 'read' | 'write'): void {
  if (principal.personal) throw invalidRequest('SharePoint tenant settings are not available for personal accounts.');
  const accepted = access === 'write' ? WRITE : READ;
  const granted = principal.isApp ? principal.roles : principal.scopes;
  if (!accepted.some((permission) => granted.has(permission))) {
    throw accessDenied(`This operation needs one of these permissions: ${accepted.join(', ')}.`);
  }
}
