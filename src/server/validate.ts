// POST /validate: hands the AdmissionReview to the deletion guard.
import type { FastifyInstance } from 'fastify';

/**
 * The admission decision function: returns the HTTP status and body to send.
 * It should not throw. If it does, the route denies with an internal error.
 */
export type AdmissionGuard = (body: unknown) => Promise<GuardResult>;

export interface GuardResult {
  readonly statusCode: number;
  readonly body: unknown;
}

// Maximum AdmissionReview body, in bytes. etcd rejects writes larger than its
// --max-request-bytes (1.5 MiB by default), so no stored object is larger
// than about 1.5 MiB. A DELETE review carries that object once, in oldObject.
// An UPDATE review, should someone widen the webhook's rules, would carry it
// twice (object and oldObject): 3 MiB. Another 1 MiB covers userInfo, the
// DeleteOptions and the API server re-encoding the object, which gives 4 MiB.
// A larger review gets 413; the API server counts that as a failed call and,
// with failurePolicy Fail, rejects the deletion.
export const reviewBodyLimitBytes = 4 * 1024 * 1024;

function uidOf(body: unknown): string {
  const uid = (body as { request?: { uid?: unknown } } | null)?.request?.uid;
  return typeof uid === 'string' ? uid : '';
}

// An AdmissionReview that denies with an internal error, used only if the
// guard breaks its contract and throws. The API server then shows the message
// instead of a bare HTTP 500.
function internalErrorReview(body: unknown): unknown {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: {
      uid: uidOf(body),
      allowed: false,
      status: { code: 500, message: 'the deletion guard failed; see the webhook server log' },
    },
  };
}

export function registerValidate(app: FastifyInstance, guard: AdmissionGuard): void {
  app.post('/validate', { bodyLimit: reviewBodyLimitBytes }, async (request, reply) => {
    try {
      const decision = await guard(request.body);
      return reply.code(decision.statusCode).send(decision.body);
    } catch (err) {
      request.log.error({ err, uid: uidOf(request.body) }, 'deletion guard failed');
      return reply.code(200).send(internalErrorReview(request.body));
    }
  });
}
