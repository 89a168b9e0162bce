import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { Services } from '../composition.js';
import { GraphError } from '../http/errors.js';
import type { Principal } from '../identity/principal.js';
import { webUrlOf } from '../links/permissionView.js';
import type { Resolution } from '../links/shareResolver.js';
import { originOf } from '../http/responses.js';
import { isStorageUnavailable } from '../storage/errors.js';
import { readForm } from './form.js';
import { pageResponse, type Framing } from './headers.js';
import type { Html } from './html.js';
import {
  cssOf,
  documentOf,
  embedContent,
  itemContent,
  itemTitle,
  messageContent,
  notFoundContent,
  passwordContent,
  signInContent,
  type PasswordProblem,
  type Variant,
} from './templates.js';

const RETRY_AFTER_SECONDS = 5;

/**
 * Status codes of the pages:
 * - 200 the item page (or the embed page);
 * - 401 the password form (first view, missing or wrong password), with `WWW-Authenticate: SharingPassword`;
 * - 401 the sign-in notice (organization / people links without a valid sign-in), with `WWW-Authenticate: Bearer`;
 * - 404 unknown, expired, deleted or forbidden link, all alike; on `/embed/` also any link that is not an embed link;
 * - 413 form body over 64 KiB, 415 form body that is not `application/x-www-form-urlencoded`;
 * - 503 (+ `Retry-After`) storage or the token-signing keys cannot be reached.
 * Only the embed page and its password form may be framed; everything else, error pages included, denies framing.
 */
export async function linkPage(services: Pick<Services, 'authenticate' | 'shares' | 'config'>, request: HttpRequest, variant: Variant): Promise<HttpResponseInit> {
  let password: string | undefined;
  let missingPassword = false;
  if (request.method === 'POST') {
    const form = await readForm(request);
    if (form.status === 'tooLarge') return message(variant, 413, 'The request is too large', 'The form sent to this page was larger than 64 KiB.');
    if (form.status === 'unsupportedMediaType') {
      return message(variant, 415, 'The form could not be read', 'This page accepts only forms sent as application/x-www-form-urlencoded.');
    }
    password = form.fields.get('password') || undefined;
    missingPassword = password === undefined;
  }

  const signIn = await signInOf(services, request.headers.get('authorization'));
  if (signIn === 'unavailable') return unavailable(variant);

  let resolution: Resolution;
  try {
    resolution = await services.shares.resolve(request.params.token ?? '', {
      ...(signIn.principal ? { principal: signIn.principal } : {}),
      ...(password === undefined ? {} : { password }),
    });
  } catch (error) {
    if (isStorageUnavailable(error)) return unavailable(variant);
    throw error;
  }

  // The embed page exists only for embed links: other links were not shared to be framed by anyone.
  if (variant === 'embed' && resolution.status !== 'notFound' && linkOf(resolution).type !== 'embed') resolution = { status: 'notFound' };

  switch (resolution.status) {
    case 'ok': {
      const { share } = resolution;
      const content = variant === 'embed' ? embedContent(share, webUrlOf(share.link, originOf(request, services.config.PUBLIC_BASE_URL))) : itemContent(share);
      return page(variant, 200, itemTitle(share), content, variant === 'embed' ? 'anyone' : 'deny');
    }
    case 'passwordRequired': {
      const problem: PasswordProblem = resolution.wrongPassword ? 'wrong' : missingPassword ? 'missing' : 'none';
      return page(variant, 401, problem === 'none' ? 'Password required' : 'Password required – try again', passwordContent(variant, problem), variant === 'embed' ? 'anyone' : 'deny', {
        'WWW-Authenticate': 'SharingPassword realm="sharing"',
      });
    }
    case 'signInRequired':
      return page(variant, 401, 'Sign-in required', signInContent(resolution.link.scope, signIn.rejected), 'deny', {
        'WWW-Authenticate': 'Bearer realm="sharing"',
      });
    case 'notFound':
      return page(variant, 404, 'Link not available', notFoundContent(), 'deny');
  }
}

const linkOf = (resolution: Exclude<Resolution, { status: 'notFound' }>) => (resolution.status === 'ok' ? resolution.share.link : resolution.link);

/**
 * A bearer token is optional on the pages. A token that fails verification counts as no sign-in (so anonymous links
 * still open, and organization links show the sign-in notice saying the sign-in was not accepted) rather than a
 * bare 401; only an unreachable key endpoint (503) stops the page.
 */
async function signInOf(
  services: Pick<Services, 'authenticate'>,
  authorization: string | null,
): Promise<{ principal?: Principal; rejected: boolean } | 'unavailable'> {
  if (authorization === null || !/^bearer\s/i.test(authorization)) return { rejected: false };
  try {
    return { principal: await services.authenticate(authorization), rejected: false };
  } catch (error) {
    if (error instanceof GraphError && error.status === 401) return { rejected: true };
    if (error instanceof GraphError && error.status === 503) return 'unavailable';
    throw error;
  }
}

function page(variant: Variant, status: number, title: string, content: Html, framing: Framing, headers?: Record<string, string>): HttpResponseInit {
  // Error pages use the full layout even on /embed/: they deny framing, so they are only ever seen top-level.
  const layout: Variant = framing === 'anyone' ? variant : 'share';
  return pageResponse({ status, css: cssOf(layout), framing, document: documentOf(layout, title, content), ...(headers ? { headers } : {}) });
}

const message = (variant: Variant, status: number, heading: string, text: string) => page(variant, status, heading, messageContent(heading, text), 'deny');

const unavailable = (variant: Variant) =>
  page(variant, 503, 'Service unavailable', messageContent('The service is temporarily unavailable', 'Please try again in a few seconds.'), 'deny', {
    'Retry-After': String(RETRY_AFTER_SECONDS),
  });
