import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml, html } from '../lib/pages/html.js';
import { startTestApp, type Answer, type TestApp } from './helpers/app.js';
import { CLIENT_APP, PERSONAL_TENANT, TENANT_A, TENANT_B, guid, oidOf } from './helpers/idp.js';

let app: TestApp;
let alice: string;

beforeAll(async () => {
  app = await startTestApp();
  alice = await app.idp.user('alice');
});
afterAll(() => app.close());

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function newItem(token: string, options: { name?: string; folder?: boolean; drive?: string } = {}) {
  const name = options.name ?? `f-${randomBytes(4).toString('hex')}.txt`;
  const drive = options.drive ?? '/v1.0/me/drive';
  const answer = await app.call('POST', `${drive}/items/root/children`, { token, body: { name, ...(options.folder ? { folder: {} } : { file: {} }) } });
  expect(answer.status).toBe(201);
  return { id: answer.body.id as string, driveId: answer.body.parentReference?.driveId as string | undefined, name };
}

async function createLink(token: string, itemId: string, body: Record<string, unknown>, drive = '/v1.0/me/drive') {
  const answer = await app.call('POST', `${drive}/items/${itemId}/createLink`, { token, body });
  expect(answer.status).toBe(201);
  return answer.body as { id: string; expirationDateTime?: string; link: { webUrl: string; webHtml?: string } };
}

const pathOf = (url: string) => new URL(url).pathname;
const embedPathOf = (webHtml: string) => pathOf(/src="([^"]+)"/.exec(webHtml)![1]!);
const post = (path: string, fields: Record<string, string>, token?: string) =>
  app.call('POST', path, { body: new URLSearchParams(fields).toString(), headers: FORM, ...(token ? { token } : {}) });

function cspOf(answer: Answer): Map<string, string> {
  const directives = new Map<string, string>();
  for (const part of (answer.headers.get('content-security-policy') ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), values.join(' '));
  }
  return directives;
}

/** The headers every page must carry, and a well-formed, accessible document whose style element the CSP allows. */
function expectPage(answer: Answer, status: number, framing: 'deny' | 'anyone') {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
  expect(answer.headers.get('cache-control')).toBe('no-store');
  expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  expect(answer.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
  const csp = cspOf(answer);
  expect(csp.get('default-src')).toBe("'none'");
  expect(csp.get('form-action')).toBe("'self'");
  expect(csp.get('base-uri')).toBe("'none'");
  expect(csp.has('script-src')).toBe(false);
  const style = /<style>([\s\S]*?)<\/style>/.exec(answer.text)?.[1];
  expect(style).toBeDefined();
  expect(csp.get('style-src')).toBe(`'sha256-${createHash('sha256').update(style!, 'utf8').digest('base64')}'`);
  if (framing === 'deny') {
    expect(answer.headers.get('x-frame-options')).toBe('DENY');
    expect(csp.get('frame-ancestors')).toBe("'none'");
  } else {
    expect(answer.headers.get('x-frame-options')).toBeNull();
    expect(csp.get('frame-ancestors')).toBe('*');
  }
  expect(answer.text.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
  expect(answer.text).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  expect(answer.text).toMatch(/<title>[^<]+<\/title>/);
  expect(answer.text).toMatch(/<main>[\s\S]*<h1[^>]*>[\s\S]+<\/h1>[\s\S]*<\/main>/);
  expect(answer.text).not.toMatch(/<script/i);
  return answer.text;
}

describe('escaping', () => {
  it('escapes text and attribute values, and keeps only markup built by html``', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const evil = '"><img src=x onerror=alert(1)>';
    expect(html`<p title="${evil}">${evil}${[evil, html`<b>ok</b>`]}</p>`.text).toBe(
      '<p title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;<b>ok</b></p>',
    );
  });
});

describe('GET /s/{token}', () => {
  it('names the item, its kind, who shared it, the link type and the expiry', async () => {
    const item = await newItem(alice, { name: "Q&A — Zoë's 日本 plan.txt" });
    const expiry = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const link = await createLink(alice, item.id, { type: 'edit', scope: 'anonymous', expirationDateTime: expiry });
    const text = expectPage(await app.call('GET', pathOf(link.link.webUrl)), 200, 'deny');
    expect(text).toContain('<h1 class="name"><bdi>Q&amp;A — Zoë&#39;s 日本 plan.txt</bdi></h1>');
    expect(text).toContain('<title>Q&amp;A — Zoë&#39;s 日本 plan.txt – shared file</title>');
    expect(text).toContain('<bdi>alice</bdi> shared this file with you.');
    expect(text).toContain('<dt>Type</dt><dd>File</dd>');
    expect(text).toContain('<dt>Access</dt><dd>Can edit</dd>');
    expect(text).toContain(`<time datetime="${link.expirationDateTime}">`);
    const day = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(link.expirationDateTime!));
    expect(text).toContain(day);
    expect(text).toMatch(/<header>[\s\S]*<\/header>\s*<main>[\s\S]*<\/main>\s*<footer>/);
  });

  it('describes folders and other link types, with no expiry', async () => {
    const folder = await newItem(alice, { name: 'Team folder', folder: true });
    const link = await createLink(alice, folder.id, { type: 'createOnly', scope: 'organization' });
    const text = expectPage(await app.call('GET', pathOf(link.link.webUrl), { token: alice }), 200, 'deny');
    expect(text).toContain('<dt>Type</dt><dd>Folder</dd>');
    expect(text).toContain('<dt>Access</dt><dd>Upload only</dd>');
    expect(text).toContain('shared this folder with you');
    expect(text).toContain('<dt>Link expires</dt><dd>Never</dd>');
    const blocked = await createLink(alice, (await newItem(alice)).id, { type: 'blocksDownload', scope: 'anonymous' });
    expect(expectPage(await app.call('GET', pathOf(blocked.link.webUrl)), 200, 'deny')).toContain('<dd>View only, download blocked</dd>');
  });

  it('escapes everything it renders: a hostile item name and a hostile sharer name', async () => {
    const hostile = '<script>alert("x")</script> & "q"';
    const mallory = await app.idp.user(hostile, { username: 'mallory@contoso.example' });
    const item = await newItem(mallory);
    const link = await createLink(mallory, item.id, { type: 'view', scope: 'anonymous' });
    // The name rules refuse < > " in names, so the hostile name is written straight into the item row: the page must
    // be safe whatever storage holds.
    await app.services.tables.drives.client.updateEntity({ partitionKey: item.driveId!, rowKey: `i:${item.id}`, name: hostile }, 'Merge');
    const text = expectPage(await app.call('GET', pathOf(link.link.webUrl)), 200, 'deny');
    const escaped = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;q&quot;';
    expect(text).toContain(`<h1 class="name"><bdi>${escaped}</bdi></h1>`);
    expect(text).toContain(`<dt>Shared by</dt><dd><bdi>${escaped}</bdi></dd>`);
    expect(text).toContain(`<title>${escaped} – shared file</title>`);
    expect(text).not.toContain('<script');
    expect(text).not.toContain('"x"');
  });

  it('falls back to the drive owner, then to "Someone", when the link has no creator name', async () => {
    const item = await newItem(alice);
    const daemon = await app.idp.app('daemon', { appName: null });
    const byDaemon = await createLink(daemon, item.id, { type: 'view', scope: 'anonymous' }, `/v1.0/users/${oidOf('alice')}/drive`);
    expect(expectPage(await app.call('GET', pathOf(byDaemon.link.webUrl)), 200, 'deny')).toContain('<dt>Shared by</dt><dd><bdi>alice</bdi></dd>');

    const nameless = await app.idp.sign({ tid: TENANT_A, oid: guid('nameless'), scp: 'Files.ReadWrite', azp: CLIENT_APP, idtyp: 'user', ver: '2.0' });
    const own = await newItem(nameless);
    const link = await createLink(nameless, own.id, { type: 'view', scope: 'anonymous' });
    expect(expectPage(await app.call('GET', pathOf(link.link.webUrl)), 200, 'deny')).toContain('<bdi>Someone</bdi> shared this file with you.');
  });

  it('answers one and the same 404 page for garbage, unknown, expired and deleted links', async () => {
    const garbage = expectPage(await app.call('GET', '/s/not-a-token'), 404, 'deny');
    const unknown = expectPage(await app.call('GET', `/s/${randomBytes(48).toString('base64url')}`), 404, 'deny');
    expect(unknown).toBe(garbage);
    expect(garbage).toContain("This link isn't available");

    const item = await newItem(alice, { name: 'short-lived.txt' });
    const link = await createLink(alice, item.id, { type: 'view', scope: 'anonymous', expirationDateTime: new Date(Date.now() + 3_000).toISOString() });
    const before = await app.call('GET', pathOf(link.link.webUrl));
    expect(before.status).toBe(200);
    expect(before.text).toContain('short-lived.txt');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(link.expirationDateTime!) - Date.now()) + 300));
    const expired = expectPage(await app.call('GET', pathOf(link.link.webUrl)), 404, 'deny');
    expect(expired).toBe(garbage);

    const doomed = await newItem(alice, { name: 'doomed.txt' });
    const deletedLink = await createLink(alice, doomed.id, { type: 'view', scope: 'anonymous' });
    expect((await app.call('GET', pathOf(deletedLink.link.webUrl))).status).toBe(200);
    await app.services.tables.drives.client.deleteEntity(doomed.driveId!, `p:${deletedLink.id}`);
    expect(expectPage(await app.call('GET', pathOf(deletedLink.link.webUrl)), 404, 'deny')).toBe(garbage);

    const gone = await newItem(alice, { name: 'gone.txt' });
    const goneLink = await createLink(alice, gone.id, { type: 'view', scope: 'anonymous' });
    const drive = await app.services.drives.find(gone.driveId!);
    await app.services.items.delete(drive!, gone.id);
    expect(expectPage(await app.call('GET', pathOf(goneLink.link.webUrl)), 404, 'deny')).toBe(garbage);

    // A right token with a wrong secret half is just as unknown.
    const token = pathOf(link.link.webUrl).slice(3);
    const forged = token.slice(0, 43) + randomBytes(16).toString('base64url').slice(0, 21);
    expect(expectPage(await app.call('GET', `/s/${forged}`), 404, 'deny')).toBe(garbage);
  });

  it('answers wrong methods with the pipeline 405', async () => {
    const answer = await app.call('PUT', '/s/anything', { body: {} });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET, POST');
  });
});

describe('password links', () => {
  let path: string;
  const password = 'pä ss&word=1+2%';

  beforeAll(async () => {
    const item = await newItem(alice, { name: 'secret-plan.txt' });
    path = pathOf((await createLink(alice, item.id, { type: 'view', scope: 'anonymous', password })).link.webUrl);
  });

  it('shows a password form that posts to the same URL and says nothing about the item', async () => {
    const answer = await app.call('GET', path);
    const text = expectPage(answer, 401, 'deny');
    expect(answer.headers.get('www-authenticate')).toBe('SharingPassword realm="sharing"');
    expect(text).toMatch(/<form method="post" accept-charset="utf-8">/);
    expect(text).not.toMatch(/<form[^>]*action=/);
    expect(text).toContain('<label for="password">Password</label>');
    expect(text).toMatch(/<input id="password" name="password" type="password"[^>]*required/);
    expect(text).not.toContain('secret-plan');
    expect(text).not.toContain('alice');
    expect(text).not.toContain('role="alert"');
  });

  it('re-renders the form with an error for a wrong or missing password', async () => {
    const wrong = expectPage(await post(path, { password: 'guess' }), 401, 'deny');
    expect(wrong).toContain('<p id="password-error" class="error" role="alert">That password is not correct. Try again.</p>');
    expect(wrong).toContain('aria-invalid="true" aria-describedby="password-error"');
    expect(wrong).not.toContain('secret-plan');
    expect(wrong).not.toContain('guess');
    const missing = expectPage(await post(path, {}), 401, 'deny');
    expect(missing).toContain('Enter the password to open this link.');
    expect(missing).not.toContain('secret-plan');
  });

  it('shows the item for the right password, and never takes the password from the URL', async () => {
    const right = expectPage(await post(path, { password }), 200, 'deny');
    expect(right).toContain('<h1 class="name"><bdi>secret-plan.txt</bdi></h1>');
    expect(right).not.toContain(escapeHtml(password));
    const inQuery = await app.call('GET', `${path}?password=${encodeURIComponent(password)}`);
    expect(inQuery.status).toBe(401);
    expect(inQuery.text).not.toContain('secret-plan');
  });

  it('refuses bodies over 64 KiB (413) and bodies that are not form-urlencoded (415)', async () => {
    const big = `password=${'a'.repeat(64 * 1024)}`;
    const tooLarge = expectPage(await app.call('POST', path, { body: big, headers: FORM }), 413, 'deny');
    expect(tooLarge).toContain('The request is too large');
    const json = expectPage(await app.call('POST', path, { body: { password } }), 415, 'deny');
    expect(json).toContain('The form could not be read');
    expect(json).not.toContain('secret-plan');
    expectPage(await app.call('POST', path, { body: `password=${password}`, headers: { 'content-type': 'text/plain' } }), 415, 'deny');
    // Just under the limit is read (and is a wrong password).
    const atLimit = await app.call('POST', path, { body: `password=${'a'.repeat(64 * 1024 - 'password='.length)}`, headers: FORM });
    expect(atLimit.status).toBe(401);
    expect(atLimit.text).toContain('That password is not correct.');
  });

  it('never logs the link token or the password', async () => {
    await post(path, { password });
    const logs = app.logs.join('\n');
    expect(logs).toContain('s/{token}');
    expect(logs).not.toContain(path.slice(3));
    expect(logs).not.toContain(password);
    expect(logs).not.toContain(encodeURIComponent(password));
  });
});

describe('organization and people links', () => {
  it('shows a sign-in notice without a token and the item with a same-tenant token', async () => {
    const item = await newItem(alice, { name: 'org-only.docx' });
    const path = pathOf((await createLink(alice, item.id, { type: 'view', scope: 'organization' })).link.webUrl);

    const anonymous = await app.call('GET', path);
    const notice = expectPage(anonymous, 401, 'deny');
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="sharing"');
    expect(notice).toContain('Sign in to open this link');
    expect(notice).toContain('signed-in people in the organization');
    expect(notice).not.toContain('org-only');
    expect(notice).not.toContain('alice');
    expect(notice).not.toContain('not accepted');

    const bob = await app.idp.user('bob');
    expect(expectPage(await app.call('GET', path, { token: bob }), 200, 'deny')).toContain('<bdi>org-only.docx</bdi>');

    const outsider = await app.idp.user('eve', { tenant: TENANT_B });
    expectPage(await app.call('GET', path, { token: outsider }), 404, 'deny');

    const badToken = await app.call('GET', path, { token: 'not.a.jwt' });
    const rejected = expectPage(badToken, 401, 'deny');
    expect(rejected).toContain('The sign-in sent with this request was not accepted');
    expect(rejected).not.toContain('org-only');
  });

  it('tells people links apart and opens them for the recipients only', async () => {
    const item = await newItem(alice, { name: 'for-carol.docx' });
    const path = pathOf((await createLink(alice, item.id, { type: 'edit', scope: 'users', recipients: [{ email: 'carol@contoso.example' }] })).link.webUrl);
    const notice = expectPage(await app.call('GET', path), 401, 'deny');
    expect(notice).toContain('only for the specific people it was shared with');
    expect(notice).not.toContain('for-carol');
    const carol = await app.idp.user('carol');
    expect(expectPage(await app.call('GET', path, { token: carol }), 200, 'deny')).toContain('<dd>Can edit</dd>');
    expectPage(await app.call('GET', path, { token: await app.idp.user('bob') }), 404, 'deny');
  });

  it('still opens anonymous links when a bad token comes along', async () => {
    const item = await newItem(alice, { name: 'open.txt' });
    const path = pathOf((await createLink(alice, item.id, { type: 'view', scope: 'anonymous' })).link.webUrl);
    expect(expectPage(await app.call('GET', path, { token: 'garbage' }), 200, 'deny')).toContain('<bdi>open.txt</bdi>');
  });
});

describe('GET /embed/{token}', () => {
  let pat: string;
  beforeAll(async () => {
    pat = await app.idp.user('pat', { tenant: PERSONAL_TENANT });
  });

  it('serves a minimal page that any site may frame, while the link page itself denies framing', async () => {
    const item = await newItem(pat, { name: 'Holiday & friends.jpg' });
    const link = await createLink(pat, item.id, { type: 'embed' });
    expect(link.link.webHtml).toBeDefined();
    const embedPath = embedPathOf(link.link.webHtml!);
    const text = expectPage(await app.call('GET', embedPath), 200, 'anyone');
    expect(text).toContain('<h1 class="name"><bdi>Holiday &amp; friends.jpg</bdi></h1>');
    expect(text).toContain('File shared by <bdi>pat</bdi>');
    expect(text).not.toContain('<header>');
    expect(text).toContain(`<a href="${link.link.webUrl}" target="_blank" rel="noopener noreferrer"`);
    expect(text).not.toContain('autofocus');
    expect(expectPage(await app.call('GET', pathOf(link.link.webUrl)), 200, 'deny')).toContain('<bdi>Holiday &amp; friends.jpg</bdi>');
  });

  it('answers 404 (not framable) for unknown links and for links that are not embed links', async () => {
    expectPage(await app.call('GET', `/embed/${randomBytes(48).toString('base64url')}`), 404, 'deny');
    const item = await newItem(pat);
    const view = await createLink(pat, item.id, { type: 'view' });
    const token = pathOf(view.link.webUrl).slice(3);
    expectPage(await app.call('GET', `/embed/${token}`), 404, 'deny');
    expect((await app.call('GET', `/s/${token}`)).status).toBe(200);
  });

  it('has a framable password form for embed links with a password', async () => {
    const item = await newItem(pat, { name: 'private-embed.png' });
    const link = await createLink(pat, item.id, { type: 'embed', password: 'open sesame' });
    const embedPath = embedPathOf(link.link.webHtml!);
    const form = expectPage(await app.call('GET', embedPath), 401, 'anyone');
    expect(form).toContain('name="password"');
    expect(form).not.toContain('private-embed');
    expect(expectPage(await post(embedPath, { password: 'nope' }), 401, 'anyone')).toContain('That password is not correct.');
    expect(expectPage(await post(embedPath, { password: 'open sesame' }), 200, 'anyone')).toContain('<bdi>private-embed.png</bdi>');
    expectPage(await app.call('POST', embedPath, { body: 'x', headers: { 'content-type': 'multipart/form-data; boundary=x' } }), 415, 'deny');
  });
});
