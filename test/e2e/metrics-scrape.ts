// Reads /metrics the way Prometheus does and picks single samples out of the
// text format.
import { request } from 'node:http';

/** GETs http://127.0.0.1:port/metrics and resolves with the status and body. */
export function scrapeMetrics(
  port: number,
): Promise<{ statusCode: number; contentType: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          statusCode: res.statusCode ?? 0,
          contentType: String(res.headers['content-type']),
          text,
        });
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`scraping port ${port} timed out`)));
    req.end();
  });
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const match of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
    labels[match[1] as string] = match[2] as string;
  return labels;
}

/**
 * Returns the value of the sample of `name` whose labels include `labels`,
 * or 0 when there is none, as Prometheus counts an unseen counter.
 */
export function sampleValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const found = parseLabels(match[2] ?? '');
    if (Object.entries(labels).every(([key, value]) => found[key] === value))
      return Number(match[3]);
  }
  return 0;
}
