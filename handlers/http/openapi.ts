// GET /v1.1/openapi.json: the API description. Public on purpose: it describes the API
// and holds no project data, so unlike every other route it takes no X-Auth-Token.
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { errorResponse } from '../../lib/api/http';
import { openApiDocument } from '../../lib/api/openapi';

// The document is the same for every request: build it once per container.
let body: string | undefined;

export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const requestId = event.requestContext?.requestId || randomUUID();
  try {
    body ??= JSON.stringify(openApiDocument());
    return { statusCode: 200, headers: { 'Content-Type': 'application/json;charset=UTF-8', 'X-Request-Id': requestId }, body };
  } catch (e) {
    return errorResponse(e, requestId);
  }
};
