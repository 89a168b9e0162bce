import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import functions, { type HttpFunctionOptions, type HttpHandler, type HttpMethod, type HttpResponseInit, type LogHandler } from '@azure/functions';
import { GraphError, itemNotFound } from '../http/errors.js';
import { errorResponse, sanitizeClientRequestId, type HttpRegistrar } from '../http/pipeline.js';
import { byPrecedence, compileRoute, matchRoute, type CompiledRoute } from './routeTemplate.js';

// The package is CommonJS without detectable named exports for its classes.
const { HttpRequest, HttpResponse, InvocationContext } = functions;
type HttpResponse = InstanceType<typeof HttpResponse>;

/** The host refuses to buffer more than this; the handlers enforce the API's own, smaller limit. */
const MAX_BUFFERED_BODY = 1024 * 1024;

interface Entry extends CompiledRoute {
  readonly name: string;
  readonly methods: ReadonlySet<string>;
  readonly handler: HttpHandler;
}

export interface LocalHostOptions {
  readonly log?: LogHandler;
}

/**
 * A stand-in for the Functions host when Core Tools are not installed: it takes the very same `app.http`
 * registrations and serves them over node:http, mapping method, route template, parameters, headers, body and
 * response the way the host does.
 */
export class LocalHost implements HttpRegistrar {
  private routes: Entry[] = [];
  private server: Server | undefined;

  constructor(private readonly options: LocalHostOptions = {}) {}

  http(name: string, options: HttpFunctionOptions): void {
    const methods = new Set<string>(options.methods ?? (['GET', 'POST'] satisfies HttpMethod[]));
    const route = compileRoute(options.route ?? name);
    this.routes = [...this.routes, { ...route, name, methods, handler: options.handler }].sort(byPrecedence);
  }

  async listen(port: number, hostname = '127.0.0.1'): Promise<string> {
    const server = createServer((request, response) => {
      this.serve(request, response).catch(() => {
        // Nothing should get here (handlers answer through dispatch); if something does, it is still Graph's 500.
        if (response.headersSent) return response.end();
        void send(response, errorAnswer(request, new GraphError('generalException', 'An unexpected error occurred while processing the request.'))).catch(() => response.destroy());
      });
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, hostname, () => resolve());
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    return `http://${hostname}:${address.port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    const method = (incoming.method ?? 'GET').toUpperCase();
    const rawUrl = incoming.url ?? '/';
    const host = /^[A-Za-z0-9.\-]+(?::\d{1,5})?$|^\[[0-9a-fA-F:.]+\](?::\d{1,5})?$/.test(incoming.headers.host ?? '')
      ? incoming.headers.host!
      : `127.0.0.1:${(incoming.socket.localPort ?? 80).toString()}`;
    // Origin and path are put together as text: a request target such as `//x/…` is a path here, never an authority.
    const url = parseUrl(host, rawUrl) ?? parseUrl(`127.0.0.1:${(incoming.socket.localPort ?? 80).toString()}`, rawUrl);
    if (!url) return send(outgoing, errorAnswer(incoming, new GraphError('invalidRequest', 'The request URL is malformed.')));

    const segments = decodeSegments(url.pathname);
    if (!segments) return send(outgoing, errorAnswer(incoming, new GraphError('invalidRequest', 'The request URL is malformed.')));
    const body = await readBody(incoming);
    if (body === 'tooLarge') {
      return send(outgoing, errorAnswer(incoming, new GraphError('requestTooLarge', 'The request body is too large.')), () => incoming.destroy());
    }

    for (const route of this.routes) {
      if (!route.methods.has(method)) continue;
      const params = matchRoute(route, segments);
      if (!params) continue;
      const request = new HttpRequest({
        method,
        url: url.toString(),
        headers: headersOf(incoming),
        // As the Functions host does: the query as a mapping (which also spares HttpRequest a second URL parse).
        query: Object.fromEntries(url.searchParams),
        params,
        ...(body.byteLength > 0 && method !== 'GET' && method !== 'HEAD' ? { body: { bytes: body } } : {}),
      });
      const context = new InvocationContext({
        invocationId: randomUUID(),
        functionName: route.name,
        logHandler: this.options.log ?? (() => undefined),
      });
      const init = await route.handler(request, context);
      if (init instanceof HttpResponse) return send(outgoing, init);
      return sendPlain(outgoing, init ?? {}) ?? send(outgoing, new HttpResponse(init ?? {}));
    }
    return send(outgoing, errorAnswer(incoming, itemNotFound('The requested resource does not exist.')));
  }
}

function parseUrl(host: string, target: string): URL | undefined {
  try {
    return new URL(`http://${host}${target.startsWith('/') ? target : `/${target}`}`);
  } catch {
    return undefined;
  }
}

function decodeSegments(pathname: string): string[] | undefined {
  try {
    return pathname
      .split('/')
      .filter((part, index, all) => part.length > 0 || (index > 0 && index < all.length - 1))
      .map((part) => decodeURIComponent(part));
  } catch {
    return undefined;
  }
}

function headersOf(incoming: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

async function readBody(incoming: IncomingMessage): Promise<Uint8Array | 'tooLarge'> {
  const declared = Number(incoming.headers['content-length'] ?? '0');
  if (declared > MAX_BUFFERED_BODY) return 'tooLarge';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_BUFFERED_BODY) return 'tooLarge';
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Errors the host itself answers (before any function runs) still carry Graph's envelope and ids. */
function errorAnswer(incoming: IncomingMessage, error: GraphError): HttpResponse {
  return new HttpResponse(errorResponse(error, randomUUID(), sanitizeClientRequestId(headersOf(incoming)['client-request-id'])));
}

const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/**
 * The common answer, a plain `HttpResponseInit` with a JSON or text body and plain-object headers, written directly:
 * what `new HttpResponse(init)` and reading it back would produce (lower-case header names, `content-type`
 * defaulted the same way), without a fetch Response and a body stream per request. Anything else (streams, cookies,
 * Headers objects, …) returns undefined and goes the general way.
 */
function sendPlain(outgoing: ServerResponse, init: HttpResponseInit): Promise<void> | undefined {
  const { status = 200, headers, jsonBody, body, cookies } = init;
  if (cookies?.length || (headers !== undefined && (typeof headers !== 'object' || headers === null || Array.isArray(headers) || headers instanceof Headers))) return undefined;
  if (!Number.isInteger(status) || status < 200 || status > 599) return undefined;
  const names: Record<string, string> = {};
  for (const [name, value] of Object.entries((headers ?? {}) as Record<string, string>)) {
    if (typeof value !== 'string') return undefined;
    // Headers normalises values by trimming HTTP whitespace; invalid characters make writeHead throw, as Headers would.
    names[name.toLowerCase()] = value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  }
  const nullBody = NULL_BODY_STATUSES.has(status);
  let payload: Buffer | undefined;
  if (!nullBody && jsonBody !== undefined && jsonBody !== null) {
    payload = Buffer.from(JSON.stringify(jsonBody), 'utf8');
    names['content-type'] ??= 'application/json';
  } else if (!nullBody && typeof body === 'string') {
    payload = Buffer.from(body, 'utf8');
    names['content-type'] ??= 'text/plain;charset=UTF-8';
  } else if (!nullBody && body !== undefined && body !== null) {
    return undefined;
  }
  if (!nullBody) names['content-length'] = String(payload?.byteLength ?? 0);
  outgoing.writeHead(status, names);
  outgoing.end(payload);
  return Promise.resolve();
}

async function send(outgoing: ServerResponse, response: HttpResponse, after?: () => void): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  if (response.status !== 204 && response.status !== 304) headers['content-length'] = String(body.byteLength);
  outgoing.writeHead(response.status, headers);
  outgoing.end(response.status === 204 || response.status === 304 ? undefined : body, after);
}
