// Every error response is JSON: { error, message }. Fastify's own errors
// (unsupported media type, invalid JSON, body too large) get messages that
// name the problem and the fix.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../logger.ts';

/** Body of every error response. */
export interface ErrorBody {
  /** HTTP reason phrase of the status code, such as "Bad Request". */
  readonly error: string;
  readonly message: string;
}

export function errorBody(statusCode: number, message: string): ErrorBody {
  return { error: STATUS_CODES[statusCode] ?? 'Error', message };
}

function clientMessage(err: FastifyError, request: FastifyRequest, bodyLimit: number): string {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const contentType = JSON.stringify(request.headers['content-type'] ?? '');
      return `content-type ${contentType} is not supported; send application/json`;
    }
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `request body is larger than the limit of ${bodyLimit} bytes`;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'request body is empty; send an AdmissionReview as JSON';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'request body is not valid JSON; send an AdmissionReview as JSON';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'request body length does not match the Content-Length header';
    default:
      return err.message;
  }
}

/**
 * Creates the Fastify error handler. A 4xx error is logged at info and its
 * response names the cause. A 5xx error is logged at error and its response
 * leaves out internals.
 */
export function createErrorHandler(bodyLimit: number) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const statusCode = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500;
    if (statusCode >= 500) {
      request.log.error({ err, statusCode }, 'request failed');
      const body = errorBody(statusCode, 'internal server error; see the server log');
      return reply.code(statusCode).send(body);
    }
    const message = clientMessage(err, request, bodyLimit);
    request.log.info({ err, statusCode, reason: message }, 'request rejected');
    return reply.code(statusCode).send(errorBody(statusCode, message));
  };
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const route = `${request.method} ${request.url}`;
  const message = `no route for ${route}; the webhook serves POST /validate`;
  return reply.code(404).send(errorBody(404, message));
}

const clientErrorResponses: Record<string, { statusCode: number; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { statusCode: 408, message: 'request was not received in time' },
  HPE_HEADER_OVERFLOW: { statusCode: 431, message: 'request headers are too large' },
};

/**
 * Creates the handler for bytes that are not a valid HTTP request: it sends
 * a JSON error and closes the connection. It logs at debug, because such
 * bytes usually come from port scanners and would flood the info log.
 */
export function createClientErrorHandler(logger: Logger) {
  return (err: NodeJS.ErrnoException, socket: Duplex): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const known = clientErrorResponses[err.code ?? ''];
    const statusCode = known?.statusCode ?? 400;
    const body = JSON.stringify(errorBody(statusCode, known?.message ?? 'malformed HTTP request'));
    logger.debug({ err, statusCode }, 'malformed http request');
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}
