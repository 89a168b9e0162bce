import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, connectionString } from './helpers/azurite.js';
import { startTestApp, expectGraphError, type TestApp } from './helpers/app.js';

let app: TestApp;
let alice: string;
let fileId: string;

beforeAll(async () => {
  app = await startTestApp();
  alice = await app.idp.user('alice');
  fileId = (await app.call('POST', '/v1.0/me/drive/items/root/children', { token: alice, body: { name: 'f.txt', file: {} } })).body.id;
});
afterAll(() => app.close());

describe('HTTP behaviour', () => {
  it('every answer carries request-id and echoes client-request-id', async () => {
    const ok = await app.call('GET', '/v1.0/me/drive', { token: alice, headers: { 'client-request-id': 'abc-123' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(ok.headers.get('client-request-id')).toBe('abc-123');
    const failed = await app.call('GET', '/v1.0/me/drive', { headers: { 'client-request-id': 'xyz' } });
    expectGraphError(failed, 401, 'unauthenticated');
    expect(failed.body.error.innerError['client-request-id']).toBe('xyz');
    expect(failed.headers.get('client-request-id')).toBe('xyz');
    const distinct = await app.call('GET', '/v1.0/me/drive', { token: alice });
    expect(distinct.headers.get('request-id')).not.toBe(ok.headers.get('request-id'));
  });

  it('405 for a wrong method on a known route, with Allow', async () => {
    const answer = await app.call('DELETE', `/v1.0/me/drive/items/${fileId}/createLink`, { token: alice });
    expectGraphError(answer, 405, 'invalidRequest');
    expect(answer.headers.get('allow')).toBe('POST');
    expectGraphError(await app.call('PUT', '/v1.0/me/drive', { token: alice }), 405, 'invalidRequest');
    expectGraphError(await app.call('GET', `/v1.0/me/drive/items/${fileId}/createLink`, { token: alice }), 405, 'invalidRequest');
  });

  it('answers CORS preflights on API routes and lets any origin read answers (bearer tokens, no cookies)', async () => {
    const preflight = await app.call('OPTIONS', `/v1.0/me/drive/items/${fileId}/createLink`, {
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const answer = await app.call('GET', '/v1.0/me/drive', { token: alice, headers: { origin: 'https://app.example' } });
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    expect(answer.headers.get('access-control-expose-headers')).toContain('request-id');
    // A plain OPTIONS is still a wrong method, and the link pages are not part of the API's CORS.
    expectGraphError(await app.call('OPTIONS', '/v1.0/me/drive', { token: alice }), 405, 'invalidRequest');
    expect((await app.call('GET', '/s/whatever')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('404 envelope for unknown routes, API or not', async () => {
    expectGraphError(await app.call('GET', '/v1.0/nothing/here', { token: alice }), 404, 'itemNotFound');
    expectGraphError(await app.call('GET', '/', {}), 404, 'itemNotFound');
    expectGraphError(await app.call('POST', '/v1.0/me/drive/items/x/unknownAction', { token: alice, body: {} }), 404, 'itemNotFound');
  });

  it('413 for a body over 64 KiB, 415 for a body that is not JSON, 400 for invalid JSON', async () => {
    const path = `/v1.0/me/drive/items/${fileId}/createLink`;
    const big = JSON.stringify({ type: 'view', message: 'x'.repeat(70 * 1024) });
    expectGraphError(await app.call('POST', path, { token: alice, body: big, headers: { 'content-type': 'application/json' } }), 413, 'requestTooLarge');
    const huge = 'x'.repeat(2 * 1024 * 1024);
    expectGraphError(await app.call('POST', path, { token: alice, body: huge, headers: { 'content-type': 'application/json' } }), 413, 'requestTooLarge');
    expectGraphError(await app.call('POST', path, { token: alice, body: 'type=view', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupportedMediaType');
    expectGraphError(await app.call('POST', path, { token: alice, body: '{"type":"view"}', headers: { 'content-type': 'text/plain' } }), 415, 'unsupportedMediaType');
    expectGraphError(await app.call('POST', path, { token: alice, body: '{"type":', headers: { 'content-type': 'application/json' } }), 400, 'invalidRequest');
    expect((await app.call('POST', path, { token: alice, body: '{"type":"view","scope":"organization"}', headers: { 'content-type': 'application/json; charset=utf-8' } })).status).toBe(201);
  });

  it('prototype-pollution keys are just unknown properties', async () => {
    const path = `/v1.0/me/drive/items/${fileId}/createLink`;
    const error = expectGraphError(await app.call('POST', path, { token: alice, body: '{"__proto__":{"admin":true},"type":"view"}', headers: { 'content-type': 'application/json' } }), 400, 'invalidRequest');
    expect(error.message).toContain('__proto__');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expectGraphError(await app.call('POST', path, { token: alice, body: { constructor: { prototype: { x: 1 } } } }), 400, 'invalidRequest');
  });

  it('malformed percent-encoding in the path is 400, not a crash', async () => {
    expectGraphError(await app.call('GET', '/v1.0/drives/%E0%A4%A/root', { token: alice }), 400, 'invalidRequest');
  });
});

describe('hostile ids', () => {
  // (Bare "." and ".." are resolved away by any URL client, so they are sent raw in a test of their own.)
  const hostile = ['a/b', 'x#y', "it's", '"quoted"', '%2e%2e', '...', 'x'.repeat(3000), 'ünïcødé-📁', 'nul\u0000byte', "' or PartitionKey ne '", 'root/../root', '\\', '?q=1', 'CON', '01AAAAAAAAAAAAAAAAAAAAAAAAAA'];

  it.each(hostile)('item id %j gives 400 or 404, never 500', async (id) => {
    const encoded = encodeURIComponent(id);
    for (const [method, path] of [
      ['GET', `/v1.0/me/drive/items/${encoded}`],
      ['POST', `/v1.0/me/drive/items/${encoded}/createLink`],
      ['POST', `/v1.0/me/drive/items/${encoded}/children`],
    ] as const) {
      const answer = await app.call(method, path, { token: alice, body: method === 'POST' ? (path.endsWith('children') ? { name: 'n', folder: {} } : { type: 'view' }) : undefined });
      expect([400, 404], `${method} ${path.slice(0, 80)} -> ${answer.status}`).toContain(answer.status);
      expectGraphError(answer, answer.status, answer.body.error.code);
    }
  });

  it.each(hostile)('drive, user, group and site id %j gives 400 or 404, never 500', async (id) => {
    const sites = await app.idp.app('daemon', { roles: ['Sites.ReadWrite.All'] });
    const encoded = encodeURIComponent(id);
    for (const path of [`/v1.0/drives/${encoded}`, `/v1.0/users/${encoded}/drive`, `/v1.0/groups/${encoded}/drive/root`, `/v1.0/sites/${encoded}/drive/items/root`]) {
      const answer = await app.call('GET', path, { token: sites });
      // Group and site ids are opaque, so printable ones name a (new) drive: 200 is right for those.
      expect([200, 400, 404], `${path.slice(0, 80)} -> ${answer.status}`).toContain(answer.status);
      if (answer.status !== 200) expectGraphError(answer, answer.status, answer.body.error.code);
    }
  });
});

describe('raw paths', () => {
  it('dot segments are resolved before routing, as Kestrel does, never reaching a handler as ids', async () => {
    const { request } = await import('node:http');
    const url = new URL(app.origin);
    const get = (path: string) =>
      new Promise<{ status: number; body: any }>((done, fail) => {
        const outgoing = request({ host: url.hostname, port: url.port, path, method: 'GET', headers: { authorization: `Bearer ${alice}` } }, (incoming) => {
          let text = '';
          incoming.on('data', (chunk: Buffer) => (text += chunk.toString()));
          incoming.on('end', () => done({ status: incoming.statusCode ?? 0, body: JSON.parse(text) }));
        });
        outgoing.once('error', fail);
        outgoing.end();
      });
    const up = await get('/v1.0/me/drive/items/..');
    expect(up.status).toBe(200);
    expect(up.body.driveType).toBe('business');
    expect((await get('/v1.0/drives/../me/drive/./root')).body.name).toBe('root');
    expect((await get('/../../v1.0/me/drive')).status).toBe(200);
  });
});

describe('storage outage', () => {
  it('answers 503 serviceNotAvailable with Retry-After, promptly, when Table Storage cannot be reached', async () => {
    const port = await freePort();
    const down = await startTestApp({ idp: app.idp, env: { TABLES_CONNECTION_STRING: connectionString(port) } });
    try {
      const started = Date.now();
      const answer = await down.call('POST', `/v1.0/me/drive/items/${fileId}/createLink`, { token: alice, body: { type: 'view' } });
      expectGraphError(answer, 503, 'serviceNotAvailable');
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await down.close();
    }
  });
});
