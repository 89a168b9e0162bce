import type { HttpResponseInit } from '@azure/functions';
import { styleHash } from './styles.js';

/** `deny` for every page but the embed page, which any site may frame (`anyone`). */
export type Framing = 'deny' | 'anyone';

export const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';

/**
 * Headers of every page. Link tokens are in the URL, so nothing may leak it (no referrer, no caching, no indexing);
 * the CSP allows no scripts, no subresources, only the page's own style element (by hash), forms posting back to
 * this origin, and framing only where `framing` says so.
 */
export function pageHeaders(css: string, framing: Framing): Record<string, string> {
  const csp = [
    "default-src 'none'",
    `style-src ${styleHash(css)}`,
    "form-action 'self'",
    "base-uri 'none'",
    framing === 'anyone' ? 'frame-ancestors *' : "frame-ancestors 'none'",
  ].join('; ');
  return {
    'Content-Type': HTML_CONTENT_TYPE,
    'Content-Security-Policy': csp,
    ...(framing === 'deny' ? { 'X-Frame-Options': 'DENY' } : {}),
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'X-Robots-Tag': 'noindex, nofollow',
  };
}

export interface PageAnswer {
  readonly status: number;
  readonly css: string;
  readonly framing: Framing;
  readonly document: string;
  readonly headers?: Record<string, string>;
}

export const pageResponse = (page: PageAnswer): HttpResponseInit => ({
  status: page.status,
  headers: { ...page.headers, ...pageHeaders(page.css, page.framing) },
  body: page.document,
});
