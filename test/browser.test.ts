import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { PERSONAL_TENANT } from './helpers/idp.js';

/** Real headless Chromium (Debian's) against the real service: what a person opening a link actually gets. */
let app: TestApp;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let consoleMessages: string[];

beforeAll(async () => {
  [app, browser] = await Promise.all([
    startTestApp(),
    chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    }),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

beforeEach(async () => {
  context = await browser.newContext();
  page = await context.newPage();
  consoleMessages = [];
  page.on('console', (message: ConsoleMessage) => consoleMessages.push(message.text()));
});
afterEach(async () => {
  await context?.close();
});

async function sharedItem(token: string, name: string, link: Record<string, unknown>) {
  const item = await app.call('POST', '/v1.0/me/drive/items/root/children', { token, body: { name, file: {} } });
  expect(item.status).toBe(201);
  const created = await app.call('POST', `/v1.0/me/drive/items/${item.body.id}/createLink`, { token, body: link });
  expect(created.status).toBe(201);
  return created.body as { link: { webUrl: string; webHtml?: string } };
}

const cspViolations = () => consoleMessages.filter((text) => /Content Security Policy/i.test(text));

describe('the link page in a browser', () => {
  it('shows the item, styled (the CSP admits the page style), without horizontal scrolling on a narrow screen', async () => {
    const alice = await app.idp.user('alice');
    const name = `Quarterly report – Zoë & co ${Date.now()}.xlsx`;
    const link = await sharedItem(alice, name, { type: 'view', scope: 'anonymous' });
    await page.setViewportSize({ width: 320, height: 640 });
    const response = await page.goto(link.link.webUrl);
    expect(response?.status()).toBe(200);
    const heading = page.getByRole('heading', { level: 1 });
    await heading.waitFor();
    expect(await heading.innerText()).toBe(name);
    expect(await page.title()).toBe(`${name} – shared file`);
    expect(await page.getByRole('main').innerText()).toContain('alice shared this file with you.');
    expect(await page.getByRole('main').innerText()).toContain('View only');
    await page.getByRole('banner').waitFor();
    await page.getByRole('contentinfo').waitFor();
    // Evaluated in the page (a string: the test project compiles without DOM types).
    const layout = (await page.evaluate(`({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
      cardBorder: getComputedStyle(document.querySelector('.card')).borderTopStyle,
      scripts: document.scripts.length,
    })`)) as { scrollWidth: number; clientWidth: number; cardBorder: string; scripts: number };
    expect(layout.cardBorder).toBe('solid');
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth);
    expect(layout.scripts).toBe(0);
    expect(cspViolations()).toEqual([]);
  });

  it('opens a password link by filling in and submitting the form', async () => {
    const alice = await app.idp.user('alice');
    const name = `Board minutes ${Date.now()}.docx`;
    const link = await sharedItem(alice, name, { type: 'view', scope: 'anonymous', password: 'correct horse ✓' });
    expect((await page.goto(link.link.webUrl))?.status()).toBe(401);
    const password = page.getByLabel('Password');
    await password.waitFor();
    expect(await page.getByRole('main').innerText()).not.toContain('Board minutes');

    await password.fill('wrong horse');
    await page.getByRole('button', { name: 'Open' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toBe('That password is not correct. Try again.');
    expect(await page.getByLabel('Password').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('main').innerText()).not.toContain('Board minutes');

    await page.getByLabel('Password').fill('correct horse ✓');
    const [answer] = await Promise.all([page.waitForResponse((candidate) => candidate.request().method() === 'POST'), page.getByRole('button', { name: 'Open' }).click()]);
    expect(answer.status()).toBe(200);
    const heading = page.getByRole('heading', { level: 1, name });
    await heading.waitFor();
    expect(page.url()).toBe(link.link.webUrl);
    expect(answer.request().postData()).toBe(new URLSearchParams({ password: 'correct horse ✓' }).toString());
    expect(cspViolations()).toEqual([]);
  });
});

describe('the embed page on another origin', () => {
  let host: Server;
  let hostOrigin: string;
  let html = '';

  beforeAll(async () => {
    host = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(html);
    });
    await new Promise<void>((done) => host.listen(0, '127.0.0.1', () => done()));
    // The service listens on 127.0.0.1; the embedding page is served as `localhost` on another port: another origin
    // and another site.
    hostOrigin = `http://localhost:${(host.address() as AddressInfo).port}`;
    expect(new URL(hostOrigin).origin).not.toBe(new URL(app.origin).origin);
  });
  afterAll(async () => {
    host.closeAllConnections();
    await new Promise<void>((done) => host.close(() => done()));
  });

  it('renders inside an iframe there, while the /s/ page refuses to be framed', async () => {
    const pat = await app.idp.user('pat', { tenant: PERSONAL_TENANT });
    const name = `Holiday photo ${Date.now()}.jpg`;
    const link = await sharedItem(pat, name, { type: 'embed' });
    const embedUrl = /src="([^"]+)"/.exec(link.link.webHtml!)![1]!;
    html = `<!doctype html><html lang="en"><head><title>Blog</title></head><body>
<iframe name="embed" title="embedded item" src="${embedUrl}" width="400" height="240"></iframe>
<iframe name="page" title="link page" src="${link.link.webUrl}" width="400" height="240"></iframe>
</body></html>`;

    const framedPage = page.waitForResponse((response) => response.url() === link.link.webUrl);
    // `load` of the top page waits for both frames to load (the refused one loads an error page instead).
    await page.goto(`${hostOrigin}/blog`, { waitUntil: 'load' });

    const embedded = page.frameLocator('iframe[name="embed"]').getByRole('heading', { level: 1 });
    await embedded.waitFor();
    expect(await embedded.innerText()).toBe(name);
    expect(await page.frameLocator('iframe[name="embed"]').getByRole('link', { name: 'Open' }).getAttribute('target')).toBe('_blank');

    // The framed link page was fetched (200) but the browser refused to show it because of its headers.
    expect((await framedPage).status()).toBe(200);
    const frame = page.frames().find((candidate) => candidate.name() === 'page');
    expect(frame).toBeDefined();
    const shown = await frame!.evaluate<string>(`document.body ? document.body.innerText : ''`).catch(() => '');
    expect(shown).not.toContain(name);
    expect(frame!.url()).not.toBe(link.link.webUrl);
    const isRefusal = (text: string) => /frame-ancestors|X-Frame-Options/i.test(text) && text.includes(new URL(link.link.webUrl).origin);
    if (!consoleMessages.some(isRefusal)) await page.waitForEvent('console', { predicate: (message) => isRefusal(message.text()), timeout: 5_000 });
    expect(consoleMessages.some(isRefusal)).toBe(true);
  });

  it('accepts the password inside the frame for a password-protected embed link', async () => {
    const pat = await app.idp.user('pat', { tenant: PERSONAL_TENANT });
    const name = `Private album ${Date.now()}.png`;
    const link = await sharedItem(pat, name, { type: 'embed', password: 'let me in' });
    const embedUrl = /src="([^"]+)"/.exec(link.link.webHtml!)![1]!;
    html = `<!doctype html><html lang="en"><head><title>Blog</title></head><body>
<iframe name="embed" title="embedded item" src="${embedUrl}" width="400" height="240"></iframe></body></html>`;
    await page.goto(`${hostOrigin}/album`);
    const frame = page.frameLocator('iframe[name="embed"]');
    await frame.getByLabel('Password').fill('let me in');
    await frame.getByRole('button', { name: 'Open' }).click();
    const heading = frame.getByRole('heading', { level: 1, name });
    await heading.waitFor();
    expect(await heading.innerText()).toBe(name);
  });
});
