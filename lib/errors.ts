// The one place where Ferry's failures get CDM's error codes and HTTP statuses.
//
// lib/ throws these; lib/api/http.ts turns them into CDM's body. A 4xx message is
// shown to the caller (it names what was wrong); a 5xx never is (internals stay in
// the log, the caller gets a request id).

export class CdmError extends Error {
  override readonly name = 'CdmError';
  /** CDM error code, e.g. `Cdm.0100`. */
  readonly code: string;
  /** HTTP status to answer with. */
  readonly status: number;
  /** Whether the message may be shown to the caller (true below 500). */
  readonly expose: boolean;

  constructor(code: string, status: number, message: string, options?: { cause?: unknown; expose?: boolean }) {
    super(message, options);
    this.code = code;
    this.status = status;
    this.expose = options?.expose ?? status < 500;
  }
}

const err = (code: string, status: number) => (message: string, cause?: unknown) =>
  new CdmError(code, status, message, cause === undefined ? undefined : { cause });

/** Factories, named for what went wrong; CDM's code table is in shared/reference/cdm-api.md §5. */
export const errors = {
  internal: err('Cdm.0000', 500),
  // Auth: CDM sits behind Huawei's API gateway, whose token failures are APIGW.0301.
  unauthenticated: err('APIGW.0301', 401),
  forbidden: err('Cdm.0032', 403),
  invalidParameter: err('Cdm.0014', 400),
  wrongType: err('Cdm.0004', 400),
  outOfRange: err('Cdm.0011', 400),
  invalidBody: err('Cdm.0018', 400),
  unknownInput: err('Cdm.0089', 400),
  clusterNotFound: (id: string) => new CdmError('Cdm.0001', 404, `Cluster[${id}] doesn't exist.`),
  jobRunning: (job: string) =>
    new CdmError('Cdm.0052', 400, `Job[${job}] is running. Try again after it finishes.`),
  jobNotRunning: (job: string) => new CdmError('Cdm.0053', 400, `Job[${job}] is not running.`),
  wrongDirection: err('Cdm.0061', 400),
  jobSubmitFailed: err('Cdm.0037', 500),
  jobNotFound: (job: string) => new CdmError('Cdm.0100', 400, `Job[${job}] doesn't exist.`),
  linkNotFound: (link: string) => new CdmError('Cdm.0101', 400, `Link[${link}] doesn't exist.`),
  connectorNotFound: (name: string) =>
    new CdmError('Cdm.0102', 400, `Connector[${name}] doesn't exist.`),
  jobExists: (job: string) => new CdmError('Cdm.0104', 400, `Job[${job}] already exists.`),
  linkInUse: (link: string, job: string, detail = '') =>
    new CdmError('Cdm.0021', 400, `Given link name is in use: job ${job} uses link ${link}${detail}.`),
  jobUpdateMissing: (job: string) => new CdmError('Cdm.0319', 400, `Job[${job}] doesn't exist.`),
  linkUpdateMissing: (link: string) => new CdmError('Cdm.0316', 400, `Link[${link}] doesn't exist.`),
  linkExists: (link: string) => new CdmError('Cdm.0315', 400, `Link[${link}] already exists.`),
  // Engine failures, shown in a submission's error-summary rather than an HTTP body.
  writeFailed: err('Cdm.0232', 500),
  extractFailed: err('Cdm.0233', 500),
  dirtyDataLimit: err('Cdm.0936', 400),
  tableCreationFailed: err('Cdm.0063', 500),
  tableUnavailable: err('Cdm.0900', 400),
  dbConnectFailed: err('Cdm.0901', 500),
  sqlFailed: err('Cdm.0902', 500),
} as const;

/**
 * A link whose connection test failed. CDM answers these with HTTP 500 and a
 * `validation-result` body, not an errCode; the message is the user's own server's
 * answer (never a password), so it is shown.
 */
export class LinkTestError extends CdmError {
  constructor(
    readonly config: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('Cdm.0901', 500, message, { ...options, expose: true });
  }

  validationResult() {
    return [{ [this.config]: [{ message: this.message, status: 'ERROR' }] }];
  }
}

/** The CDM body for an error: `errCode`/`externalMessage`, as CDM's job and link APIs answer. */
export interface CdmErrorBody {
  errCode: string;
  externalMessage: string;
}

export function isCdmError(e: unknown): e is CdmError {
  return e instanceof CdmError;
}

/** A short, single-line description of any thrown value, for logs and error summaries. */
export function describeError(e: unknown): string {
  if (e instanceof CdmError) return `${e.code}: ${e.message}`;
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}
