// The opt-out of the chart's webhook guard policy. A webhook cannot see
// requests on ValidatingWebhookConfigurations, so the chart adds a
// ValidatingAdmissionPolicy that denies deleting this product's configuration,
// or removing the guard webhook from it, unless the configuration carries
// allowDeleteAnnotation set to "true". The uninstall path sets it first.
import type {
  AdmissionregistrationV1Api,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { withTimeout } from './client.ts';
import { isNotFound } from './status.ts';

export const allowDeleteAnnotation = 'inference-extension-crds.dev/allow-delete';

/**
 * Sets the allow-delete annotation to "true" on the configuration, so that
 * the webhook guard policy lets it be deleted: the step the uninstall path
 * takes before the configuration is deleted. Returns false when the
 * configuration does not exist.
 */
export async function allowConfigurationDeletion(
  admission: AdmissionregistrationV1Api,
  name: string,
  requestTimeoutMs: number,
): Promise<boolean> {
  let current: V1ValidatingWebhookConfiguration;
  try {
    current = await admission.readValidatingWebhookConfiguration(
      { name },
      withTimeout(requestTimeoutMs),
    );
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
  // JSON Pointer escapes "/" in a map key as "~1".
  const patch =
    current.metadata?.annotations === undefined
      ? [{ op: 'add', path: '/metadata/annotations', value: { [allowDeleteAnnotation]: 'true' } }]
      : [
          {
            op: 'add',
            path: `/metadata/annotations/${allowDeleteAnnotation.replace('/', '~1')}`,
            value: 'true',
          },
        ];
  await admission.patchValidatingWebhookConfiguration(
    { name, body: patch },
    withTimeout(requestTimeoutMs),
  );
  return true;
}
