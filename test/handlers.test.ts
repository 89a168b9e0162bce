import functions from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVE_OPERATIONS, DRIVE_PREFIXES, registrations } from '../functions/routes.js';
import { dispatch, type Registration } from '../lib/http/pipeline.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { guid, oidOf } from './helpers/idp.js';

const { HttpRequest, InvocationContext } = functions;

let app: TestApp;
let token: string;
let routes: Registration[];

beforeAll(async () => {
  app = await startTestApp();
  // Sites.ReadWrite.All + Files.ReadWrite: the own drive, group and site drives are all reachable.
  token = await app.idp.user('alice', { scopes: 'Files.ReadWrite Sites.ReadWrite.All' });
  routes = registrations(app.services);
});
afterAll(() => app.close());

/** Calls a function the way the Functions host does: an HttpRequest with explicit params, an InvocationContext. */
async function invoke(route: Registration, method: string, params: Record<string, string>, body?: unknown) {
  const logs: unknown[][] = [];
  const path = route.route.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
  const request = new HttpRequest({
    method,
    url: `http://localhost:7071/${path}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'client-request-id': 'handler-test' },
    params,
    ...(body === undefined ? {} : { body: { string: JSON.stringify(body) } }),
  });
  const context = new InvocationContext({ functionName: route.name, logHandler: (level, ...args) => logs.push([level, ...args]) });
  const response = await dispatch(route)(request, context);
  return { response, logs };
}

describe('every route template, called as the Functions host calls it', () => {
  const prefixes = ['Drives', 'Me', 'Users', 'Groups', 'Sites'];

  async function paramsFor(prefix: string): Promise<Record<string, string>> {
    switch (prefix) {
      case 'Drives': {
        const drive = await app.call('GET', '/v1.0/me/drive', { token });
        return { driveId: drive.body.id };
      }
      case 'Users':
        return { userId: oidOf('alice') };
      case 'Groups':
        return { groupId: guid('handlers') };
      case 'Sites':
        return { siteId: 'contoso.example,site,web' };
      default:
        return {};
    }
  }

  it('registers every drive operation under the 5 drive prefixes, the other routes and the catch-all, with unique names', () => {
    const driveRoutes = routes.filter((route) => DRIVE_PREFIXES.some((prefix) => route.route.startsWith(prefix.template)));
    expect(driveRoutes).toHaveLength(DRIVE_PREFIXES.length * DRIVE_OPERATIONS.length);
    expect(new Set(routes.map((route) => route.name)).size).toBe(routes.length);
    expect(new Set(routes.map((route) => route.route.toLowerCase())).size).toBe(routes.length);
    for (const name of ['tenantSettings', 'share', 'shareDriveItem', 'sharePermission']) expect(routes.map((route) => route.name)).toContain(name);
    expect(routes.at(-1)!.route).toBe('{*path}');
    expect(routes.every((route) => route.route === '{*path}' || route.route.startsWith('v1.0/') || /^(s|embed)\//.test(route.route))).toBe(true);
  });

  it.each(prefixes)('%s: drive, root, children, item and createLink', async (prefix) => {
    const params = await paramsFor(prefix);
    const route = (name: string) => routes.find((candidate) => candidate.name === `${name}${prefix}`)!;

    const drive = await invoke(route('drive'), 'GET', params);
    expect(drive.response.status).toBe(200);
    expect((drive.response.jsonBody as { id: string }).id).toMatch(/^b!/);
    expect((drive.response.headers as Record<string, string>)['client-request-id']).toBe('handler-test');

    const root = await invoke(route('root'), 'GET', params);
    expect(root.response.status).toBe(200);
    const rootId = (root.response.jsonBody as { id: string }).id;

    const child = await invoke(route('children'), 'POST', { ...params, parentId: rootId }, { name: `${prefix}.txt`, file: {} });
    expect(child.response.status).toBe(201);
    const childId = (child.response.jsonBody as { id: string }).id;

    const item = await invoke(route('item'), 'GET', { ...params, itemId: childId });
    expect(item.response.status).toBe(200);
    expect((item.response.jsonBody as { name: string }).name).toBe(`${prefix}.txt`);

    const created = await invoke(route('createLink'), 'POST', { ...params, itemId: childId }, { type: 'edit', scope: 'organization' });
    expect(created.response.status).toBe(201);
    const again = await invoke(route('createLink'), 'POST', { ...params, itemId: childId }, { type: 'edit', scope: 'organization' });
    expect(again.response.status).toBe(200);
    expect((again.response.jsonBody as { id: string }).id).toBe((created.response.jsonBody as { id: string }).id);

    const permissionId = (created.response.jsonBody as { id: string }).id;
    const listed = await invoke(route('permissions'), 'GET', { ...params, itemId: childId });
    expect(listed.response.status).toBe(200);
    expect((listed.response.jsonBody as { value: { id: string }[] }).value.map((entry) => entry.id)).toEqual([permissionId]);
    const one = await invoke(route('permission'), 'GET', { ...params, itemId: childId, permissionId });
    expect(one.response.status).toBe(200);
    const patched = await invoke(route('permission'), 'PATCH', { ...params, itemId: childId, permissionId }, { password: 'pw' });
    expect(patched.response.status).toBe(200);
    expect((patched.response.jsonBody as { hasPassword: boolean }).hasPassword).toBe(true);
    const removed = await invoke(route('permission'), 'DELETE', { ...params, itemId: childId, permissionId });
    expect(removed.response.status).toBe(204);
    const gone = await invoke(route('item'), 'DELETE', { ...params, itemId: childId });
    expect(gone.response.status).toBe(204);
    expect((await invoke(route('item'), 'GET', { ...params, itemId: childId })).response.status).toBe(404);

    // Exactly one log line per request, with the route template and never the token.
    const lines = created.logs.filter(([, message]) => message === 'request');
    expect(lines).toHaveLength(1);
    expect(lines[0]![2]).toMatchObject({ route: route('createLink').route, status: 201, tenant: expect.any(String) });
    expect(JSON.stringify(created.logs)).not.toContain(token);
  });

  it('the catch-all answers 404 for every method', async () => {
    const notFound = routes.find((route) => route.name === 'notFound')!;
    for (const method of ['GET', 'POST', 'DELETE']) {
      const { response } = await invoke(notFound, method, { path: 'x/y' });
      expect(response.status).toBe(404);
      expect((response.jsonBody as { error: { code: string } }).error.code).toBe('itemNotFound');
    }
  });
});

describe('the pipeline', () => {
  it('turns an unexpected exception into a bare 500 generalException and logs the details', async () => {
    const failing: Registration = {
      name: 'boom',
      route: 'v1.0/boom',
      methods: {
        GET: async () => {
          throw new Error('secret internals: connection string AccountKey=abc at /srv/app.js:1:2');
        },
      },
    };
    const logs: unknown[][] = [];
    const response = await dispatch(failing)(
      new HttpRequest({ method: 'GET', url: 'http://localhost/v1.0/boom' }),
      new InvocationContext({ logHandler: (level, ...args) => logs.push([level, ...args]) }),
    );
    expect(response.status).toBe(500);
    const text = JSON.stringify(response.jsonBody);
    expect(text).toContain('generalException');
    expect(text).not.toContain('secret');
    expect(text).not.toContain('AccountKey');
    expect(JSON.stringify(logs)).toContain('secret internals');
  });
});
