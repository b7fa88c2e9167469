// Minimal HTTPS clients for tests that need control over every byte sent.
import { request } from 'node:https';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';

export interface RawResponse {
  readonly statusCode: number;
  readonly headers: string;
  readonly body: string;
}

/** Opens a TLS connection and resolves once the handshake is done; rejects with the TLS error otherwise. */
export function connectTls(options: ConnectionOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect(options, () => resolve(socket));
    socket.once('error', reject);
  });
}

function parseRaw(text: string): RawResponse {
  const split = text.indexOf('\r\n\r\n');
  const head = split === -1 ? text : text.slice(0, split);
  const statusCode = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  return { statusCode, headers: head, body: split === -1 ? '' : text.slice(split + 4) };
}

/**
 * Writes `chunks` to a fresh TLS connection and returns what the server
 * sends back before it closes the connection or `timeoutMs` passes. Write
 * errors after the server has responded are expected and ignored.
 */
export async function exchangeRaw(options: ConnectionOptions, chunks: readonly Buffer[], timeoutMs = 15_000): Promise<RawResponse> {
  const socket = await connectTls(options);
  const received: Buffer[] = [];
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parseRaw(Buffer.concat(received).toString('utf8')));
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', () => undefined);
    for (const chunk of chunks) socket.write(chunk);
  });
}

export interface JsonResponse {
  readonly statusCode: number;
  readonly contentType: string;
  readonly body: unknown;
}

/** Sends one HTTPS request and parses the JSON response body. */
export function requestJson(
  url: string,
  options: { ca: string; method?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, ca: options.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const contentType = String(res.headers['content-type'] ?? '');
        resolve({ statusCode: res.statusCode ?? 0, contentType, body: text === '' ? undefined : JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
