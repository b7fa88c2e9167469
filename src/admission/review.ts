// Types of the AdmissionReview (admission.k8s.io/v1) that the API server sends
// to a validating webhook, and builders for the review the webhook returns.

export const admissionApiVersion = 'admission.k8s.io/v1';
export const admissionKind = 'AdmissionReview';

export const operations = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;
export type Operation = (typeof operations)[number];

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface GroupVersionResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

export interface UserInfo {
  readonly username?: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
}

/** An object as the API server embeds it in a review; only its shape as an object is checked. */
export type EmbeddedObject = Readonly<Record<string, unknown>>;

export interface AdmissionRequest {
  readonly uid: string;
  readonly kind: GroupVersionKind;
  readonly resource: GroupVersionResource;
  readonly subResource?: string;
  readonly requestKind?: GroupVersionKind;
  readonly requestResource?: GroupVersionResource;
  readonly requestSubResource?: string;
  /** Name of the object; the API server omits it only for a CREATE that uses generateName. */
  readonly name?: string;
  readonly namespace?: string;
  readonly operation: Operation;
  readonly userInfo: UserInfo;
  /** New state of the object; null for DELETE. */
  readonly object?: EmbeddedObject | null;
  /** Stored state of the object for UPDATE and DELETE. */
  readonly oldObject?: EmbeddedObject | null;
  readonly dryRun?: boolean;
  readonly options?: EmbeddedObject | null;
}

/** The `status` of a denial, a metav1.Status that the API server passes on to the client. */
export interface AdmissionStatus {
  readonly status: 'Failure';
  /** HTTP status code the client receives. */
  readonly code: number;
  /** metav1.StatusReason, such as Forbidden or ServiceUnavailable. */
  readonly reason: string;
  readonly message: string;
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: AdmissionStatus;
}

export interface AdmissionReviewResponse {
  readonly apiVersion: typeof admissionApiVersion;
  readonly kind: typeof admissionKind;
  readonly response: AdmissionResponse;
}

function review(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: admissionApiVersion, kind: admissionKind, response };
}

/** Builds a review that lets the request through. */
export function allowedReview(uid: string): AdmissionReviewResponse {
  return review({ uid, allowed: true });
}

/**
 * Builds a review that rejects the request. The API server responds to the
 * client with `code` and `reason`, and prefixes `message` with the webhook's name.
 */
export function deniedReview(
  uid: string,
  code: number,
  reason: string,
  message: string,
): AdmissionReviewResponse {
  return review({ uid, allowed: false, status: { status: 'Failure', code, reason, message } });
}
