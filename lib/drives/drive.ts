import type { DriveOwnership } from '../identity/access.js';

export type DriveType = 'personal' | 'business' | 'documentLibrary';

export interface Drive extends DriveOwnership {
  readonly id: string;
  readonly driveType: DriveType;
  readonly rootId: string;
  readonly ownerName?: string;
  readonly createdDateTime: string;
}

/** How a route names a drive: `/drives/{id}`, `/me/drive`, `/users/{id}/drive`, `/groups/{id}/drive`, `/sites/{id}/drive`. */
export type DriveRef =
  | { readonly kind: 'id'; readonly driveId: string }
  | { readonly kind: 'me' }
  | { readonly kind: 'user'; readonly userId: string }
  | { readonly kind: 'group'; readonly groupId: string }
  | { readonly kind: 'site'; readonly siteId: string };

export interface Item {
  readonly id: string;
  readonly driveId: string;
  readonly name: string;
  /** Empty for the root. */
  readonly parentId: string;
  /** Path below the root, `/A/B`; empty for the root. */
  readonly path: string;
  /** Ids from the root down to the parent; empty for the root. */
  readonly ancestors: readonly string[];
  readonly isFolder: boolean;
  readonly createdDateTime: string;
  readonly lastModifiedDateTime: string;
  /** Set by a link created with `retainInheritedPermissions: false`: ancestors' links stop applying here. */
  readonly stopsInheritance: boolean;
}
