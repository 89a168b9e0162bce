import type { Share } from '../links/shareResolver.js';
import type { LinkScope, LinkType } from '../links/link.js';
import { html, raw, type Html } from './html.js';
import { EMBED_CSS, PAGE_CSS } from './styles.js';

/** `share`: the page behind `webUrl` (`/s/{token}`); `embed`: the minimal page behind `webHtml` (`/embed/{token}`). */
export type Variant = 'share' | 'embed';

const SERVICE_NAME = 'Shared link';

/** A whole document: language, viewport, no referrer, the variant's style sheet; `header`/`main`/`footer` landmarks on full pages. */
export function documentOf(variant: Variant, title: string, content: Html): string {
  const css = variant === 'embed' ? EMBED_CSS : PAGE_CSS;
  const body =
    variant === 'embed'
      ? html`<main>${content}</main>`
      : html`<header><p>${SERVICE_NAME}</p></header>
<main><div class="card">${content}</div></main>
<footer><p>This page's address is the link itself: pass it on only to people who should have it.</p></footer>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>${title}</title>
<style>${raw(css)}</style>
</head>
<body>
${body}
</body>
</html>
`.text;
}

export const cssOf = (variant: Variant) => (variant === 'embed' ? EMBED_CSS : PAGE_CSS);

/** What a link lets its holder do, in words (`kind` is "file" or "folder"). */
export function linkTypeInWords(type: LinkType, kind: string): { label: string; sentence: string } {
  switch (type) {
    case 'view':
      return { label: 'View only', sentence: `You can view this ${kind}.` };
    case 'edit':
      return { label: 'Can edit', sentence: `You can view and edit this ${kind}.` };
    case 'embed':
      return { label: 'Embedded view', sentence: `You can view this ${kind}; it can also be shown inside other web pages.` };
    case 'blocksDownload':
      return { label: 'View only, download blocked', sentence: `You can view this ${kind} but not download it.` };
    case 'createOnly':
      return { label: 'Upload only', sentence: `You can add files to this ${kind} but not see what it contains.` };
  }
}

const EXPIRY_FORMAT = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' });

export const formatExpiry = (iso: string) => `${EXPIRY_FORMAT.format(new Date(iso))} UTC`;

/** Who shared: the link's creator, else the drive's owner, else "Someone". */
export const sharerOf = (share: Share) => share.link.createdByName || share.drive.ownerName || 'Someone';

export const kindOf = (share: Share) => (share.item.isFolder ? 'folder' : 'file');

export function itemTitle(share: Share): string {
  return `${share.item.name} – shared ${kindOf(share)}`;
}

/** The item page: names the item, its kind, who shared it, what the link allows and until when. */
export function itemContent(share: Share): Html {
  const kind = kindOf(share);
  const access = linkTypeInWords(share.link.type, kind);
  const expiry = share.link.expirationDateTime;
  return html`<h1 class="name"><bdi>${share.item.name}</bdi></h1>
<p class="lead"><bdi>${sharerOf(share)}</bdi> shared this ${kind} with you. ${access.sentence}</p>
<dl>
<dt>Type</dt><dd>${kind === 'folder' ? 'Folder' : 'File'}</dd>
<dt>Name</dt><dd><bdi>${share.item.name}</bdi></dd>
<dt>Shared by</dt><dd><bdi>${sharerOf(share)}</bdi></dd>
<dt>Access</dt><dd>${access.label}</dd>
${expiry ? html`<dt>Link expires</dt><dd><time datetime="${expiry}">${formatExpiry(expiry)}</time></dd>` : html`<dt>Link expires</dt><dd>Never</dd>`}
</dl>`;
}

/** The embed page: the same facts, compact enough for a 98×120 frame; "Open" leads to the link page (`webUrl`) in a new tab. */
export function embedContent(share: Share, webUrl: string): Html {
  const kind = kindOf(share);
  return html`<h1 class="name"><bdi>${share.item.name}</bdi></h1>
<p class="meta">${kind === 'folder' ? 'Folder' : 'File'} shared by <bdi>${sharerOf(share)}</bdi></p>
<p><a href="${webUrl}" target="_blank" rel="noopener noreferrer" aria-label="Open ${share.item.name} in a new tab">Open</a></p>`;
}

export type PasswordProblem = 'none' | 'missing' | 'wrong';

/**
 * The password form. It posts (form-urlencoded, field `password`) to the page's own URL: no `action`, so the token
 * stays where it already is and the password never enters a URL. It says nothing about the item.
 */
export function passwordContent(variant: Variant, problem: PasswordProblem): Html {
  const message =
    problem === 'wrong' ? 'That password is not correct. Try again.' : problem === 'missing' ? 'Enter the password to open this link.' : undefined;
  const invalid = message !== undefined;
  return html`<h1>${variant === 'embed' ? 'Password required' : 'This link is protected by a password'}</h1>
${variant === 'share' ? html`<p>Enter the password you were given to see what was shared.</p>` : ''}
<form method="post" accept-charset="utf-8">
${invalid ? html`<p id="password-error" class="error" role="alert">${message}</p>` : ''}
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256"${invalid ? raw(' aria-invalid="true" aria-describedby="password-error"') : ''}${variant === 'share' ? raw(' autofocus') : ''}>
<button type="submit">Open</button>
</form>`;
}

/** For organization and people links seen without a (valid) sign-in: no item details, and no sign-in flow here. */
export function signInContent(scope: LinkScope, tokenRejected: boolean): Html {
  const who =
    scope === 'users'
      ? 'This link works only for the specific people it was shared with, once they have signed in.'
      : 'This link works only for signed-in people in the organization that shared it.';
  return html`<h1>Sign in to open this link</h1>
<p>${who}</p>
${tokenRejected ? html`<p class="error" role="alert">The sign-in sent with this request was not accepted; it may have expired.</p>` : ''}
<p>This page cannot sign you in itself. Open the link from an app that signs you in with your work or school account, or ask the person who shared it for access.</p>`;
}

/** 404: the same words for unknown, expired, deleted and forbidden links, so nothing is revealed. */
export const notFoundContent = (): Html => html`<h1>This link isn't available</h1>
<p>The link may be mistyped, it may have expired or been removed, or it may not be meant for you.</p>
<p>Ask the person who shared it to send it again.</p>`;

export const messageContent = (heading: string, text: string): Html => html`<h1>${heading}</h1>
<p>${text}</p>`;
