// Looks at a running HTTPS server from outside: which certificate it serves,
// and polling until a condition holds.
import { X509Certificate } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectTls } from './https-client.ts';

/** Connects to the port and returns the certificate it serves, verified against `ca` when given. */
export async function servedCertificate(port: number, ca?: string) {
  const options = ca === undefined ? { rejectUnauthorized: false } : { ca };
  const socket = await connectTls({ host: '127.0.0.1', port, ...options });
  const raw = socket.getPeerX509Certificate()?.raw;
  const authorized = socket.authorized;
  socket.destroy();
  if (raw === undefined) throw new Error(`port ${port} served no certificate`);
  return { certificate: new X509Certificate(raw), authorized };
}

/** Polls `check` every 250 ms until it returns true; throws naming `condition` after `timeoutMs`. */
export async function waitFor(
  condition: string,
  check: () => Promise<boolean>,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${condition}`);
    await sleep(250);
  }
}
