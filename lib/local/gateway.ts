// The embedded API gateway: serverless.yml's http events as routes, each request
// turned into an API Gateway (REST, v1) proxy event for the same handler module.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { FunctionDef } from './serverless-config';

export type HttpHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  params: string[];
  /** Literal segments first: `/job/{name}/start` beats `/job/{name}`. */
  literals: number;
  handler: HttpHandler;
}

/** API Gateway's payload limit. */
const MAX_BODY = 10 * 1024 * 1024;

export function buildRoutes(fns: FunctionDef[], handlers: Map<string, HttpHandler>): Route[] {
  const routes = fns.flatMap((fn) =>
    fn.http.map((h) => {
      const params: string[] = [];
      const segments = h.path.split('/').filter(Boolean);
      const re = segments
        .map((s) => {
          const m = /^\{(\w+)(\+)?\}$/.exec(s);
          if (!m) return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          params.push(m[1]!);
          return m[2] ? '(.+)' : '([^/]+)';
        })
        .join('/');
      return {
        method: h.method,
        template: h.path,
        pattern: new RegExp(`^/${re}/?$`),
        params,
        literals: segments.filter((s) => !s.startsWith('{')).length,
        handler: handlers.get(fn.name)!,
      };
    }),
  );
  return routes.sort((a, b) => b.literals - a.literals);
}

export function startGateway(routes: Route[], host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    handle(routes, req, res).catch((e) => {
      send(res, 500, { errCode: 'APIGW.0101', externalMessage: `Gateway error: ${(e as Error).message}` });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

async function handle(routes: Route[], req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://gateway');
  const matches = routes.filter((r) => r.pattern.test(url.pathname));
  if (matches.length === 0) {
    return send(res, 404, { errCode: 'APIGW.0101', externalMessage: `No API at ${url.pathname}.` });
  }
  const route = matches.find((r) => r.method === req.method);
  if (!route) {
    return send(res, 405, { errCode: 'APIGW.0101', externalMessage: `${req.method} is not allowed on ${url.pathname}.` });
  }
  const body = await readBody(req);
  if (body === undefined) return send(res, 413, { errCode: 'APIGW.0201', externalMessage: 'The request body is larger than 10 MB.' });
  const values = route.pattern.exec(url.pathname)!.slice(1);
  const result = await route.handler(toEvent(req, url, route, values, body));
  res.writeHead(result.statusCode, { ...(result.headers as Record<string, string>) });
  res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
}

function toEvent(req: IncomingMessage, url: URL, route: Route, values: string[], body: string): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    const list = Array.isArray(v) ? v : [v];
    headers[k] = list.join(',');
    multiValueHeaders[k] = list;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    query[k] = v;
    (multiQuery[k] ??= []).push(v);
  }
  const pathParameters = Object.fromEntries(route.params.map((p, i) => [p, values[i]!]));
  const requestId = randomUUID();
  return {
    resource: route.template,
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: Object.keys(multiQuery).length ? multiQuery : null,
    pathParameters: route.params.length ? pathParameters : null,
    stageVariables: null,
    body: body === '' ? null : body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'embedded',
      authorizer: null,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: req.method ?? 'GET',
      identity: { sourceIp: req.socket.remoteAddress ?? '' } as APIGatewayProxyEvent['requestContext']['identity'],
      path: url.pathname,
      stage: 'local',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: route.template,
      resourcePath: route.template,
    },
  };
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8' });
  res.end(JSON.stringify(body));
}
