// Labels and annotations the product writes on every CRD it installs.

/** "true" keeps the CRD (and so every object of its kind) when someone deletes it; "false" lets it go. */
export const keepOnUninstallAnnotation = 'inference-extension-crds.dev/keep-on-uninstall';

export const managedByLabel = 'app.kubernetes.io/managed-by';
export const managedByValue = 'inference-extension-crds';

/** Field manager name the product uses for every write to the API server. */
export const fieldManager = 'inference-extension-crds';
