import type { HttpRequest } from '@azure/functions';
import type { z } from 'zod';
import { GraphError, invalidRequest } from './errors.js';

export const MAX_BODY_BYTES = 64 * 1024;

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

/**
 * Reads a JSON request body: empty means `{}`, more than 64 KiB is 413, a body that is not declared as JSON is 415,
 * invalid JSON is 400. Never trusts Content-Length alone.
 */
export async function readJson(request: HttpRequest): Promise<unknown> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const bytes = request.body ? new Uint8Array(await request.arrayBuffer()) : new Uint8Array();
  if (bytes.byteLength > MAX_BODY_BYTES) throw tooLarge();
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (text.trim().length === 0) return {};
  const mediaType = (request.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (!JSON_MEDIA_TYPE.test(mediaType)) {
    throw new GraphError('unsupportedMediaType', 'The request body must be JSON (Content-Type: application/json).');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalidRequest('The request body is not valid JSON.');
  }
}

const tooLarge = () => new GraphError('requestTooLarge', `The request body must not exceed ${MAX_BODY_BYTES} bytes.`);

/**
 * OData conventions for request bodies: instance annotations (`@odata.type`, `x@odata.type`) are ignored and a
 * property set to null counts as absent (except in PATCH bodies, where null means "remove"). Anything that is not a
 * JSON object is refused.
 */
export function odataObject(
  value: unknown,
  { keepAnnotations = [], keepNulls = false }: { keepAnnotations?: readonly string[]; keepNulls?: boolean } = {},
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidRequest('The request body must be a JSON object.');
  }
  const clean: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, entry] of Object.entries(value)) {
    if ((key.includes('@') && !keepAnnotations.includes(key)) || (entry === null && !keepNulls)) continue;
    clean[key] = entry;
  }
  return clean;
}

/** Validates with zod and turns the first problem into Graph's 400, naming the property at fault. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const name = printable(issue.keys[0] ?? '');
    throw invalidRequest(`The property '${name}' does not exist on ${what}.`);
  }
  const path = issue.path.map((part) => printable(String(part))).join('.');
  throw invalidRequest(path ? `Invalid value for '${path}': ${issue.message}.` : `Invalid ${what}: ${issue.message}.`);
}

/** Echoed property names are user input: keep them short and printable. */
const printable = (text: string) => {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}…` : clean;
};
