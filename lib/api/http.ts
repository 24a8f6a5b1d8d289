// The HTTP adapter every API handler uses: request id, token check and authorization,
// JSON body parsing, and the one mapping from errors to CDM's error body. Handlers pass
// a function of (request, runtime) → response body and stay a few lines long.
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { authorize, type Principal } from '../auth/token';
import type { Permission } from '../auth/permissions';
import { CdmError, errors, LinkTestError, type CdmErrorBody } from '../errors';
import { runtime, type Runtime } from '../runtime';

const logger = new Logger({ serviceName: 'ferry' });

export interface ApiRequest {
  readonly principal: Principal;
  readonly project: string;
  /** Path parameter, or 400 naming it when absent. */
  param(name: 'cluster_id' | 'job_name' | 'link_name'): string;
  query(name: string): string | undefined;
  /** Every query parameter. */
  queries(): Record<string, string | undefined>;
  /** The parsed JSON body (undefined when there is none). */
  readonly body: unknown;
  readonly requestId: string;
}

const PROJECT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const JSON_HEADERS = { 'Content-Type': 'application/json;charset=UTF-8' };

/** A Lambda entry for the API; `permission` is what it authorizes, so tests can check each route against its documentation. */
export type ApiHandler = ((event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>) & { readonly permission: Permission };

export function httpHandler(permission: Permission, fn: (req: ApiRequest, rt: Runtime) => Promise<unknown>): ApiHandler {
  const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const requestId = event.requestContext?.requestId || randomUUID();
    try {
      const rt = runtime();
      const principal = await rt.tokens.verify(header(event, 'x-auth-token'));
      const project = event.pathParameters?.project_id ?? '';
      if (!PROJECT_ID.test(project)) throw errors.invalidParameter('project_id must be 1-64 letters, digits, _ or -.');
      authorize(principal, project, permission);
      const req: ApiRequest = {
        principal,
        project,
        requestId,
        body: parseBody(event),
        param(name) {
          const v = event.pathParameters?.[name];
          if (!v) throw errors.invalidParameter(`Path parameter ${name} is mandatory.`);
          return decodeURIComponent(v);
        },
        query: (name) => event.queryStringParameters?.[name] ?? undefined,
        queries: () => ({ ...event.queryStringParameters }),
      };
      const body = await fn(req, rt);
      return { statusCode: 200, headers: { ...JSON_HEADERS, 'X-Request-Id': requestId }, body: JSON.stringify(body) };
    } catch (e) {
      return errorResponse(e, requestId);
    }
  };
  return Object.assign(handler, { permission });
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === name) return v ?? undefined;
  return undefined;
}

function parseBody(event: APIGatewayProxyEvent): unknown {
  if (!event.body) return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw errors.invalidBody(`The request body is not valid JSON: ${(e as Error).message}.`);
  }
}

/** CDM's error body; a 5xx hides its message behind the request id, which the log keeps. */
export function errorResponse(e: unknown, requestId: string): APIGatewayProxyResult {
  const err = e instanceof CdmError ? e : errors.internal('internal error', e);
  if (!err.expose) logger.error('request failed', { requestId, error: e as Error });
  if (err instanceof LinkTestError) {
    const body = { 'validation-result': err.validationResult() };
    return { statusCode: err.status, headers: { ...JSON_HEADERS, 'X-Request-Id': requestId }, body: JSON.stringify(body) };
  }
  const body: CdmErrorBody = {
    errCode: err.code,
    externalMessage: err.expose ? err.message : `Internal error; request id ${requestId}.`,
  };
  return { statusCode: err.status, headers: { ...JSON_HEADERS, 'X-Request-Id': requestId }, body: JSON.stringify(body) };
}
