// The product's coded errors. Each code is stable, so logs, tests and users
// can match on it instead of on message text. A wrapped failure stays on
// `cause`, where pino's error serializer prints it.

export const errorCodes = {
  invalidConfig: 'ERR_INVALID_CONFIG',
  invalidBundle: 'ERR_INVALID_BUNDLE',
  storedVersionDropped: 'ERR_STORED_VERSION_DROPPED',
  notEstablished: 'ERR_CRD_NOT_ESTABLISHED',
  apiUnavailable: 'ERR_API_UNAVAILABLE',
  apiRequestFailed: 'ERR_API_REQUEST_FAILED',
  tls: 'ERR_TLS',
} as const;

export type ErrorCode = (typeof errorCodes)[keyof typeof errorCodes];

export class ProductError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProductError';
    this.code = code;
  }
}

/** A configuration value that failed validation; the message names the option, the value and what is allowed. */
export class ConfigError extends ProductError {
  readonly option: string;

  constructor(option: string, value: unknown, allowed: string) {
    super(errorCodes.invalidConfig, `invalid value for ${option}: ${JSON.stringify(value)}; expected ${allowed}`);
    this.name = 'ConfigError';
    this.option = option;
  }
}

/** Returns whether `err` is a ProductError with the given code. */
export function hasCode(err: unknown, code: ErrorCode): err is ProductError {
  return err instanceof ProductError && err.code === code;
}
