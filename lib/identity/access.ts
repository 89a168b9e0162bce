import { accessDenied } from '../http/errors.js';
import type { Principal } from './principal.js';

export type Access = 'read' | 'write';

/** What a drive is, as far as deciding who may touch it goes. */
export interface DriveOwnership {
  readonly tenantId: string;
  readonly ownerKind: 'user' | 'group' | 'site';
  readonly ownerId: string;
}

/** How far a permission reaches (SPEC section 3). */
type Reach = 'own' | 'ownAndMemberGroups' | 'ownGroupsAndSites' | 'tenant';

/** Graph's permission tables: delegated scopes and application roles that allow reading or writing. */
const DELEGATED: Record<string, { access: Access; reach: Reach; personal: boolean }> = {
  'Files.Read': { access: 'read', reach: 'own', personal: true },
  'Files.ReadWrite': { access: 'write', reach: 'own', personal: true },
  'Files.Read.All': { access: 'read', reach: 'ownAndMemberGroups', personal: true },
  'Files.ReadWrite.All': { access: 'write', reach: 'ownAndMemberGroups', personal: true },
  'Sites.Read.All': { access: 'read', reach: 'ownGroupsAndSites', personal: false },
  'Sites.ReadWrite.All': { access: 'write', reach: 'ownGroupsAndSites', personal: false },
};

const APPLICATION: Record<string, { access: Access }> = {
  'Files.Read.All': { access: 'read' },
  'Files.ReadWrite.All': { access: 'write' },
  'Sites.Read.All': { access: 'read' },
  'Sites.ReadWrite.All': { access: 'write' },
};

const satisfies = (granted: Access, wanted: Access) => granted === 'write' || wanted === 'read';

/** The reaches the caller's token grants for this kind of access; empty when no accepted scope or role is present. */
export function reachesFor(principal: Principal, access: Access): Reach[] {
  if (principal.isApp) {
    return [...principal.roles].some((role) => APPLICATION[role] && satisfies(APPLICATION[role].access, access)) ? ['tenant'] : [];
  }
  const reaches: Reach[] = [];
  for (const scope of principal.scopes) {
    const rule = DELEGATED[scope];
    if (rule && satisfies(rule.access, access) && (rule.personal || !principal.personal)) reaches.push(rule.reach);
  }
  return reaches;
}

/** A token without any accepted scope or role for the operation is refused outright (403), before anything is looked up. */
export function requireAccess(principal: Principal, access: Access): void {
  if (reachesFor(principal, access).length === 0) {
    throw accessDenied(
      access === 'write'
        ? 'Either scp or roles claim need to be present in the token with a permission that allows writing files.'
        : 'Either scp or roles claim need to be present in the token with a permission that allows reading files.',
    );
  }
}

/** Whether the caller may touch this drive. Callers answer "no" with 404, so existence never leaks. */
export function mayTouchDrive(principal: Principal, drive: DriveOwnership, access: Access): boolean {
  if (drive.tenantId !== principal.tenantId) return false;
  const own = drive.ownerKind === 'user' && drive.ownerId === principal.objectId;
  return reachesFor(principal, access).some((reach) => {
    switch (reach) {
      case 'tenant':
        return true;
      case 'own':
        return own;
      case 'ownAndMemberGroups':
        return own || (drive.ownerKind === 'group' && principal.groups.has(drive.ownerId));
      case 'ownGroupsAndSites':
        return own || drive.ownerKind !== 'user';
    }
  });
}
