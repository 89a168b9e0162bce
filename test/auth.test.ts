import { generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, expectGraphError, type TestApp } from './helpers/app.js';
import { AUDIENCE, PERSONAL_TENANT, TENANT_A, TENANT_B, guid, oidOf } from './helpers/idp.js';

let app: TestApp;
let alice: string;
let fileId: string;
let driveId: string;

beforeAll(async () => {
  app = await startTestApp();
  alice = await app.idp.user('alice');
  const file = await app.call('POST', '/v1.0/me/drive/items/root/children', { token: alice, body: { name: 'secret.txt', file: {} } });
  fileId = file.body.id;
  driveId = file.body.parentReference.driveId;
});
afterAll(() => app.close());

const createLink = (token: string | undefined, path = `/v1.0/me/drive/items/${fileId}/createLink`) =>
  app.call('POST', path, { ...(token ? { token } : {}), body: { type: 'view', scope: 'organization' } });

describe('tokens', () => {
  it('401 without a token, with WWW-Authenticate', async () => {
    const answer = await createLink(undefined);
    expectGraphError(answer, 401, 'unauthenticated');
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('401 for a non-Bearer scheme and for garbage', async () => {
    expectGraphError(await app.call('GET', '/v1.0/me/drive', { headers: { authorization: 'Basic YWxpY2U6c2VjcmV0' } }), 401, 'unauthenticated');
    expectGraphError(await app.call('GET', '/v1.0/me/drive', { headers: { authorization: 'Bearer not.a.jwt' } }), 401, 'unauthenticated');
    expectGraphError(await app.call('GET', '/v1.0/me/drive', { headers: { authorization: 'Bearer ' } }), 401, 'unauthenticated');
  });

  it('401 for a bad signature (same kid, other key)', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await app.idp.sign({ tid: TENANT_A, oid: oidOf('alice'), scp: 'Files.ReadWrite', azp: 'x' }, { key: privateKey });
    const answer = await createLink(forged);
    expectGraphError(answer, 401, 'unauthenticated');
    expect(answer.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('401 for a tampered payload', async () => {
    const [header, , signature] = alice.split('.');
    const payload = Buffer.from(JSON.stringify({ tid: TENANT_A, oid: oidOf('mallory'), scp: 'Files.ReadWrite.All', azp: 'x', aud: AUDIENCE, exp: 9_999_999_999 })).toString('base64url');
    expectGraphError(await createLink(`${header}.${payload}.${signature}`), 401, 'unauthenticated');
  });

  it('401 for an expired token, and for one not valid yet beyond the skew', async () => {
    const claims = { tid: TENANT_A, oid: oidOf('alice'), scp: 'Files.ReadWrite', azp: 'x' };
    expectGraphError(await createLink(await app.idp.sign(claims, { expiresIn: -120 })), 401, 'unauthenticated');
    const future = Math.floor(Date.now() / 1000) + 600;
    expectGraphError(await createLink(await app.idp.sign(claims, { notBefore: future, expiresIn: 3600 })), 401, 'unauthenticated');
    // Within the 60 s skew is fine.
    expect((await createLink(await app.idp.sign(claims, { expiresIn: -30 }))).status).toBe(201);
  });

  it('401 for the wrong audience and the wrong issuer', async () => {
    const claims = { tid: TENANT_A, oid: oidOf('alice'), scp: 'Files.ReadWrite', azp: 'x' };
    expectGraphError(await createLink(await app.idp.sign(claims, { audience: 'api://someone-else' })), 401, 'unauthenticated');
    expectGraphError(await createLink(await app.idp.sign(claims, { issuer: 'https://evil.example/v2.0' })), 401, 'unauthenticated');
    // Issuer of another tenant than the token's tid.
    expectGraphError(await createLink(await app.idp.sign(claims, { issuer: `https://login.microsoftonline.com/${TENANT_B}/v2.0` })), 401, 'unauthenticated');
  });

  it('401 for alg none and for HS256 signed with the public key', async () => {
    const none = new UnsecuredJWT({ tid: TENANT_A, oid: oidOf('alice'), scp: 'Files.ReadWrite', azp: 'x' })
      .setIssuer(`https://login.microsoftonline.com/${TENANT_A}/v2.0`)
      .setAudience(AUDIENCE)
      .setExpirationTime('1h')
      .encode();
    expectGraphError(await createLink(none), 401, 'unauthenticated');
    const hs = await new SignJWT({ tid: TENANT_A, oid: oidOf('alice'), scp: 'Files.ReadWrite', azp: 'x' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(`https://login.microsoftonline.com/${TENANT_A}/v2.0`)
      .setAudience(AUDIENCE)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('a-shared-secret-that-is-long-enough'));
    expectGraphError(await createLink(hs), 401, 'unauthenticated');
  });

  it('401 for claims of the wrong type or missing', async () => {
    expectGraphError(await createLink(await app.idp.sign({ tid: TENANT_A, oid: 42, scp: 'Files.ReadWrite', azp: 'x' })), 401, 'unauthenticated');
    expectGraphError(await createLink(await app.idp.sign({ tid: TENANT_A, oid: oidOf('alice'), scp: ['Files.ReadWrite'], azp: 'x' })), 401, 'unauthenticated');
    expectGraphError(await createLink(await app.idp.sign({ tid: 'not-a-guid', oid: oidOf('alice'), scp: 'Files.ReadWrite', azp: 'x' })), 401, 'unauthenticated');
    expectGraphError(await createLink(await app.idp.sign({ tid: TENANT_A, oid: oidOf('alice'), scp: 'Files.ReadWrite' })), 401, 'unauthenticated');
  });

  it('picks up a rotated signing key (new kid) without a restart', async () => {
    const before = app.idp.fetches;
    await app.idp.rotate();
    const fresh = await app.idp.user('alice');
    expect((await app.call('GET', '/v1.0/me/drive', { token: fresh })).status).toBe(200);
    expect(app.idp.fetches).toBeGreaterThan(before);
  });
});

describe('scopes and drive access', () => {
  it('403 for a token without any accepted scope', async () => {
    const readOnly = await app.idp.user('alice', { scopes: 'User.Read Mail.Read' });
    expectGraphError(await createLink(readOnly), 403, 'accessDenied');
    const readFiles = await app.idp.user('alice', { scopes: 'Files.Read' });
    expectGraphError(await createLink(readFiles), 403, 'accessDenied');
    expect((await app.call('GET', `/v1.0/me/drive/items/${fileId}`, { token: readFiles })).status).toBe(200);
    const appWithoutRoles = await app.idp.app('daemon', { roles: ['User.Read.All'] });
    expectGraphError(await createLink(appWithoutRoles, `/v1.0/drives/${driveId}/items/${fileId}/createLink`), 403, 'accessDenied');
  });

  it('app-only tokens on /me are 400', async () => {
    const daemon = await app.idp.app('daemon');
    const error = expectGraphError(await createLink(daemon), 400, 'invalidRequest');
    expect(error.message).toContain('/me');
    expect((await createLink(daemon, `/v1.0/drives/${driveId}/items/${fileId}/createLink`)).status).toBeLessThan(300);
    expect((await createLink(daemon, `/v1.0/users/${oidOf('alice')}/drive/items/${fileId}/createLink`)).status).toBeLessThan(300);
  });

  it("another user's drive is 404, whatever the route", async () => {
    const bob = await app.idp.user('bob', { scopes: 'Files.ReadWrite.All' });
    expectGraphError(await createLink(bob, `/v1.0/drives/${driveId}/items/${fileId}/createLink`), 404, 'itemNotFound');
    expectGraphError(await createLink(bob, `/v1.0/users/${oidOf('alice')}/drive/items/${fileId}/createLink`), 404, 'itemNotFound');
    expectGraphError(await app.call('GET', `/v1.0/drives/${driveId}`, { token: bob }), 404, 'itemNotFound');
    // Sites.ReadWrite.All reaches group and site drives, not other users' drives.
    const siteAdmin = await app.idp.user('carol', { scopes: 'Sites.ReadWrite.All' });
    expectGraphError(await createLink(siteAdmin, `/v1.0/drives/${driveId}/items/${fileId}/createLink`), 404, 'itemNotFound');
    // Bob's own item ids do not open alice's drive either.
    expectGraphError(await createLink(bob, `/v1.0/me/drive/items/${fileId}/createLink`), 404, 'itemNotFound');
  });

  it('another tenant sees nothing, even with application permissions', async () => {
    const foreignDaemon = await app.idp.app('daemon', { tenant: TENANT_B });
    expectGraphError(await createLink(foreignDaemon, `/v1.0/drives/${driveId}/items/${fileId}/createLink`), 404, 'itemNotFound');
    expectGraphError(await app.call('GET', `/v1.0/drives/${driveId}`, { token: foreignDaemon }), 404, 'itemNotFound');
  });

  it('group drives: Files.ReadWrite.All only for groups in the token, Files.ReadWrite not at all', async () => {
    const team = guid('team');
    const member = await app.idp.user('dave', { scopes: 'Files.ReadWrite.All', groups: [team] });
    const outsider = await app.idp.user('erin', { scopes: 'Files.ReadWrite.All' });
    const narrow = await app.idp.user('frank', { scopes: 'Files.ReadWrite', groups: [team] });
    expect((await app.call('GET', `/v1.0/groups/${team}/drive`, { token: member })).body.driveType).toBe('business');
    expectGraphError(await app.call('GET', `/v1.0/groups/${team}/drive`, { token: outsider }), 404, 'itemNotFound');
    expectGraphError(await app.call('GET', `/v1.0/groups/${team}/drive`, { token: narrow }), 404, 'itemNotFound');
  });

  it('personal accounts: Sites.* is not accepted and there are no group or site drives', async () => {
    const personalSites = await app.idp.user('pat', { tenant: PERSONAL_TENANT, scopes: 'Sites.ReadWrite.All' });
    expectGraphError(await app.call('GET', '/v1.0/me/drive', { token: personalSites }), 403, 'accessDenied');
    const personal = await app.idp.user('pat', { tenant: PERSONAL_TENANT, scopes: 'Files.ReadWrite.All' });
    expectGraphError(await app.call('GET', `/v1.0/groups/${guid('g')}/drive`, { token: personal }), 404, 'itemNotFound');
    expectGraphError(await app.call('GET', '/v1.0/sites/root/drive', { token: personal }), 404, 'itemNotFound');
  });
});

describe('allowed tenants', () => {
  it('refuses tokens of tenants not in AUTH_ALLOWED_TENANTS', async () => {
    const restricted = await startTestApp({ idp: app.idp, env: { AUTH_ALLOWED_TENANTS: TENANT_A } });
    try {
      expect((await restricted.call('GET', '/v1.0/me/drive', { token: alice })).status).toBe(200);
      const foreign = await app.idp.user('zed', { tenant: TENANT_B });
      expectGraphError(await restricted.call('GET', '/v1.0/me/drive', { token: foreign }), 401, 'unauthenticated');
    } finally {
      await restricted.close();
    }
  });
});
