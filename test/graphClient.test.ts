import { Client, GraphError, HTTPMessageHandler, RetryHandler, RetryHandlerOptions, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

/**
 * The SDK only attaches tokens to Graph hosts over https, so against a local http instance the chain is built by
 * hand: a bearer middleware, then the SDK's own retry and HTTP handlers.
 */
function graphClient(token?: string): Client {
  let next: Middleware | undefined;
  const bearer: Middleware = {
    async execute(context: Context) {
      if (token) {
        context.options = context.options ?? {};
        context.options.headers = { ...(context.options.headers as Record<string, string> | undefined), Authorization: `Bearer ${token}` };
      }
      await next!.execute(context);
    },
    setNext(middleware: Middleware) {
      next = middleware;
    },
  };
  return Client.initWithMiddleware({
    baseUrl: `${app.origin}/`,
    defaultVersion: 'v1.0',
    middleware: [bearer, new RetryHandler(new RetryHandlerOptions()), new HTTPMessageHandler()],
  });
}

const encodeSharingUrl = (url: string) => `u!${Buffer.from(url, 'utf8').toString('base64').replace(/=+$/, '').replace(/\//g, '_').replace(/\+/g, '-')}`;

describe('the official Microsoft Graph JavaScript client', () => {
  it('creates, lists, resolves and deletes links, and reads Graph errors', async () => {
    const client = graphClient(await app.idp.user('alice'));
    const item = await client.api('/me/drive/items/root/children').post({ name: 'sdk.txt', file: {} });
    const created = await client.api(`/me/drive/items/${item.id}/createLink`).post({ type: 'view', scope: 'anonymous' });
    expect(created.link.webUrl).toContain('/s/');

    const listed = await client.api(`/me/drive/items/${item.id}/permissions`).get();
    expect(listed.value.map((permission: { id: string }) => permission.id)).toEqual([created.id]);

    const anonymous = graphClient();
    const shared = await anonymous.api(`/shares/${encodeSharingUrl(created.link.webUrl)}/driveItem`).get();
    expect(shared).toMatchObject({ id: item.id, name: 'sdk.txt' });
    const sharedPermission = await anonymous.api(`/shares/${created.shareId}/permission`).get();
    expect(sharedPermission.id).toBe(created.id);

    await client.api(`/me/drive/items/${item.id}/permissions/${created.id}`).delete();
    expect((await client.api(`/me/drive/items/${item.id}/permissions`).get()).value).toEqual([]);

    const failure = await anonymous.api(`/shares/${created.shareId}`).get().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(GraphError);
    expect((failure as GraphError).statusCode).toBe(404);
    expect((failure as GraphError).code).toBe('itemNotFound');
    expect((failure as GraphError).requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
