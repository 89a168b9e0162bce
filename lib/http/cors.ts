import type { HttpRequest, HttpResponseInit } from '@azure/functions';

/**
 * CORS for the API, so browser apps can call it as they call Graph. Callers authenticate with bearer tokens, never
 * cookies, so any origin may read answers; the pages behind links are not part of it.
 */
const EXPOSED = 'request-id, client-request-id, ETag, Retry-After, WWW-Authenticate, Allow';
const ALLOWED_HEADERS = 'Authorization, Content-Type, client-request-id, If-Match, X-Sharing-Password, Prefer';

export const corsHeaders: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': EXPOSED,
};

export const isPreflight = (request: HttpRequest) =>
  request.method === 'OPTIONS' && request.headers.has('origin') && request.headers.has('access-control-request-method');

export const preflightResponse = (allowedMethods: string): HttpResponseInit => ({
  status: 204,
  headers: {
    ...corsHeaders,
    'Access-Control-Allow-Methods': allowedMethods,
    'Access-Control-Allow-Headers': ALLOWED_HEADERS,
    'Access-Control-Max-Age': '86400',
  },
});
