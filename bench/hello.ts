import { createServer } from 'node:http';
import functions, { type HttpHandler } from '@azure/functions';

/**
 * The cold-start reference for `npm run bench`: a bare `@azure/functions` hello-world handler served over node:http
 * (request and response objects of the Functions library, nothing of this service loaded).
 */
const { HttpRequest, HttpResponse, InvocationContext } = functions;

const hello: HttpHandler = async (request) => ({ status: 200, jsonBody: { hello: 'world', method: request.method } });

const server = createServer((incoming, outgoing) => {
  void (async () => {
    const request = new HttpRequest({ method: incoming.method ?? 'GET', url: `http://127.0.0.1${incoming.url ?? '/'}`, headers: {} });
    const init = await hello(request, new InvocationContext({ functionName: 'hello' }));
    const response = init instanceof HttpResponse ? init : new HttpResponse(init);
    const body = Buffer.from(await response.arrayBuffer());
    outgoing.writeHead(response.status, { 'content-type': 'application/json', 'content-length': String(body.byteLength) });
    outgoing.end(body);
  })();
});
server.listen(Number(process.env.PORT ?? '7071'), '127.0.0.1');
const stop = () => server.close(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
