import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { DriveRef } from '../drives/drive.js';

export const JSON_CONTENT_TYPE = 'application/json; odata.metadata=minimal; charset=utf-8';

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit => ({
  status,
  headers: { 'Content-Type': JSON_CONTENT_TYPE, ...headers },
  jsonBody: body,
});

export const noContent = (): HttpResponseInit => ({ status: 204 });

/** Origin for links and `@odata.context`: the configured public URL, else the request's own. */
export const originOf = (request: HttpRequest, publicBaseUrl: string | undefined) => publicBaseUrl ?? new URL(request.url).origin;

export const apiBase = (origin: string) => `${origin}/v1.0`;

/** Which drive a route template names, from the parameters it declares. */
export function driveRefOf(params: Record<string, string>): DriveRef {
  if (params.driveId !== undefined) return { kind: 'id', driveId: params.driveId };
  if (params.userId !== undefined) return { kind: 'user', userId: params.userId };
  if (params.groupId !== undefined) return { kind: 'group', groupId: params.groupId };
  if (params.siteId !== undefined) return { kind: 'site', siteId: params.siteId };
  return { kind: 'me' };
}
