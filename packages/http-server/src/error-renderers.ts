import type { NextFunction, Request, Response } from 'express';
import type { ErrorReport } from '@malet/errors';

/**
 * How one surface writes errors. Every error becomes an `ErrorReport` (status, the REST body,
 * headers) in one place (`finishHttpApp`); a router that speaks another protocol picks its own
 * renderer (`useErrorRenderer`): the OAuth 2.0 shape of RFC 6749 for token endpoints, the SCIM
 * error schema of RFC 7644 for SCIM, the default `{status, code, details}` everywhere else.
 */
export interface RenderedError {
  status: number;
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export type ErrorRenderer = (report: ErrorReport) => RenderedError;

/** The platform's own shape (seed 002): `{status, code, details}`. */
export const restErrorRenderer: ErrorRenderer = (report) => ({ status: report.status, body: report.body });

const RENDERER = 'malet:errorRenderer';

/** Middleware: errors of the requests it sees are written by `renderer`. */
export function useErrorRenderer(renderer: ErrorRenderer) {
  return function selectErrorRenderer(_req: Request, res: Response, next: NextFunction) {
    res.locals[RENDERER] = renderer;
    next();
  };
}

export function errorRendererFor(res: Response): ErrorRenderer {
  return (res.locals[RENDERER] as ErrorRenderer | undefined) ?? restErrorRenderer;
}
