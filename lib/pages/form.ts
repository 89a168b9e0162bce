import type { HttpRequest } from '@azure/functions';
import { MAX_BODY_BYTES } from '../http/body.js';

export type FormBody =
  | { readonly status: 'ok'; readonly fields: URLSearchParams }
  | { readonly status: 'tooLarge' }
  | { readonly status: 'unsupportedMediaType' };

const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/**
 * Reads an HTML form post: at most 64 KiB (checked on the declared length and again on the bytes), and only
 * `application/x-www-form-urlencoded` (what a `<form method="post">` sends). An empty body with no type counts as
 * an empty form. Bytes are decoded as UTF-8, the charset the pages declare.
 */
export async function readForm(request: HttpRequest): Promise<FormBody> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) return { status: 'tooLarge' };
  const bytes = request.body ? new Uint8Array(await request.arrayBuffer()) : new Uint8Array();
  if (bytes.byteLength > MAX_BODY_BYTES) return { status: 'tooLarge' };
  const contentType = request.headers.get('content-type');
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== FORM_MEDIA_TYPE && !(bytes.byteLength === 0 && contentType === null)) return { status: 'unsupportedMediaType' };
  return { status: 'ok', fields: new URLSearchParams(new TextDecoder('utf-8').decode(bytes)) };
}
