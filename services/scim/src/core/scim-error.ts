import type { NextFunction, Request, Response } from 'express';
import { AppError, toErrorReport } from '@malet/errors';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** RFC 7644 section 3.12 detail keywords. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

/**
 * A failure a SCIM client should see in the SCIM error schema. It is an AppError as well, so the
 * code (`scim:<scimType or status>`) is logged and counted like every other error in the suite.
 */
export class ScimError extends AppError {
  constructor(
    status: number,
    readonly scimType: ScimType | undefined,
    detail: string,
    headers?: Record<string, string>,
  ) {
    super(status, `scim:${scimType ?? statusName(status)}`, detail, headers ? { headers } : {});
  }
}

export const invalidFilter = (detail: string) => new ScimError(400, 'invalidFilter', detail);
export const invalidSyntax = (detail: string) => new ScimError(400, 'invalidSyntax', detail);
export const invalidValue = (detail: string) => new ScimError(400, 'invalidValue', detail);
export const invalidPath = (detail: string) => new ScimError(400, 'invalidPath', detail);
export const noTarget = (detail: string) => new ScimError(400, 'noTarget', detail);
export const uniqueness = (detail: string) => new ScimError(409, 'uniqueness', detail);
export const resourceNotFound = (type: string, id: string) => new ScimError(404, undefined, `${type} ${id} not found`);

function statusName(status: number): string {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 412) return 'precondition_failed';
  return status >= 500 ? 'internal' : 'bad_request';
}

/**
 * The SCIM router's error writer: every failure below it, ours or not, leaves in the RFC 7644
 * error schema (`status` as a string) with `application/scim+json`. Unexpected errors keep the
 * suite's rule: a 500 naming only an error id, the cause logged under it.
 */
export function writeScimError(production: boolean) {
  return function renderScimError(error: unknown, req: Request, res: Response, _next: NextFunction): void {
    const report = toErrorReport(fromBodyParser(error), { production });
    if (report.errorId) req.log.error({ err: error, errorId: report.errorId }, 'unexpected error');
    if (res.headersSent) {
      req.socket.destroy();
      return;
    }
    const scimType = error instanceof ScimError ? error.scimType : report.status === 400 ? 'invalidSyntax' : undefined;
    const body: Record<string, unknown> = { schemas: [SCIM_ERROR_SCHEMA], status: String(report.status) };
    if (scimType) body.scimType = scimType;
    body.detail = report.body.details ?? (report.errorId ? `Internal error ${report.errorId}` : 'Request failed');
    res.status(report.status).set(report.headers).type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
  };
}

function fromBodyParser(error: unknown): unknown {
  if (error instanceof AppError || typeof error !== 'object' || error === null) return error;
  const { type, status } = error as { type?: string; status?: number };
  if (type === 'entity.parse.failed') return new ScimError(400, 'invalidSyntax', 'Body is not valid JSON');
  if (type === 'entity.too.large') return new ScimError(413, undefined, 'Body is too large');
  if (typeof status === 'number' && status >= 400 && status < 500) return new ScimError(status, 'invalidSyntax', 'Bad request');
  return error;
}
