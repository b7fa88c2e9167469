// The table of every option: its flag, environment variable, default and
// help text. parse.ts validates against it and help.ts prints it, so the two
// cannot drift apart.

export type OptionKind = 'string' | 'boolean' | 'integer' | 'list' | 'enum';

export interface OptionSpec {
  /** Flag name without the leading dashes. */
  readonly flag: string;
  /** Environment variable; unset for a flag that must be typed on each run. */
  readonly env?: string;
  readonly kind: OptionKind;
  /** Default as the user would type it; undefined means unset. */
  readonly default?: string;
  readonly help: string;
  /** Allowed values for kind 'enum'. */
  readonly values?: readonly string[];
  /** Inclusive bounds for kind 'integer'. */
  readonly min?: number;
  readonly max?: number;
  /** Commands that read the option. */
  readonly commands: readonly Command[];
}

export const commands = ['serve', 'install', 'status', 'uninstall'] as const;
export type Command = (typeof commands)[number];

const all: readonly Command[] = commands;
const installing: readonly Command[] = ['serve', 'install'];
const serving: readonly Command[] = ['serve'];

export const optionSpecs = [
  {
    flag: 'kubeconfig',
    env: 'KUBECONFIG',
    kind: 'string',
    help: 'Path of the kubeconfig file. Unset: the in-cluster service account, then ~/.kube/config.',
    commands: all,
  },
  {
    flag: 'bundle',
    env: 'INFERENCE_CRDS_BUNDLE',
    kind: 'string',
    help: 'File or folder of CRD YAML to use instead of the built-in v1.3.0 bundle.',
    commands: all,
  },
  {
    flag: 'skip-if-exists',
    env: 'INFERENCE_CRDS_SKIP_IF_EXISTS',
    kind: 'boolean',
    default: 'false',
    help: 'Create only missing CRDs and leave every existing one untouched.',
    commands: installing,
  },
  {
    flag: 'keep-on-uninstall',
    env: 'INFERENCE_CRDS_KEEP_ON_UNINSTALL',
    kind: 'boolean',
    default: 'true',
    help: 'Value of the keep-on-uninstall annotation written on each CRD. "false" lets the CRDs be deleted.',
    commands: installing,
  },
  {
    flag: 'allow-downgrade',
    env: 'INFERENCE_CRDS_ALLOW_DOWNGRADE',
    kind: 'boolean',
    default: 'false',
    help: 'Replace CRDs that carry a newer bundle-version than the bundle.',
    commands: installing,
  },
  {
    flag: 'establish-timeout',
    env: 'INFERENCE_CRDS_ESTABLISH_TIMEOUT',
    kind: 'integer',
    default: '60',
    min: 1,
    max: 3600,
    help: 'Seconds to wait for every CRD to be Established and its names accepted.',
    commands: installing,
  },
  {
    flag: 'connect-timeout',
    env: 'INFERENCE_CRDS_CONNECT_TIMEOUT',
    kind: 'integer',
    default: '300',
    min: 0,
    max: 86400,
    help: 'Seconds to keep retrying, with backoff, while the API server is unreachable.',
    commands: all,
  },
  {
    flag: 'request-timeout',
    env: 'INFERENCE_CRDS_REQUEST_TIMEOUT',
    kind: 'integer',
    default: '10000',
    min: 100,
    max: 600000,
    help: 'Milliseconds before one Kubernetes API request is abandoned. Admission lookups use --lookup-timeout instead.',
    commands: all,
  },
  {
    flag: 'log-level',
    env: 'INFERENCE_CRDS_LOG_LEVEL',
    kind: 'enum',
    default: 'info',
    values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
    help: 'Minimum level of the JSON log lines, written to stdout by serve and to stderr by the other commands.',
    commands: all,
  },
  {
    flag: 'listen-address',
    env: 'INFERENCE_CRDS_LISTEN_ADDRESS',
    kind: 'string',
    default: '0.0.0.0',
    help: 'Address the HTTPS webhook server binds to.',
    commands: serving,
  },
  {
    flag: 'port',
    env: 'INFERENCE_CRDS_PORT',
    kind: 'integer',
    default: '9443',
    min: 0,
    max: 65535,
    help: 'HTTPS port of the webhook, /healthz and /readyz. 0 picks a free port.',
    commands: serving,
  },
  {
    flag: 'metrics-port',
    env: 'INFERENCE_CRDS_METRICS_PORT',
    kind: 'integer',
    default: '0',
    min: 0,
    max: 65535,
    help: 'Plain HTTP port for /metrics. 0 serves /metrics on the HTTPS port instead.',
    commands: serving,
  },
  {
    flag: 'lookup-timeout',
    env: 'INFERENCE_CRDS_LOOKUP_TIMEOUT',
    kind: 'integer',
    default: '3000',
    min: 50,
    max: 29000,
    help: 'Milliseconds an admission decision may spend on API lookups before it denies. Keep it below the webhook timeoutSeconds.',
    commands: serving,
  },
  {
    flag: 'shutdown-timeout',
    env: 'INFERENCE_CRDS_SHUTDOWN_TIMEOUT',
    kind: 'integer',
    default: '20',
    min: 1,
    max: 600,
    help: 'Seconds to let in-flight requests finish after SIGTERM before the process exits.',
    commands: serving,
  },
  {
    flag: 'cert-dir',
    env: 'INFERENCE_CRDS_CERT_DIR',
    kind: 'string',
    default: 'certs',
    help: 'Folder where the generated CA and serving certificate are kept when --ca-secret is unset.',
    commands: serving,
  },
  {
    flag: 'tls-cert-file',
    env: 'INFERENCE_CRDS_TLS_CERT_FILE',
    kind: 'string',
    help: 'PEM serving certificate to use instead of generating one. Needs --tls-key-file; reloaded when it changes.',
    commands: serving,
  },
  {
    flag: 'tls-key-file',
    env: 'INFERENCE_CRDS_TLS_KEY_FILE',
    kind: 'string',
    help: 'PEM private key of --tls-cert-file.',
    commands: serving,
  },
  {
    flag: 'tls-ca-file',
    env: 'INFERENCE_CRDS_TLS_CA_FILE',
    kind: 'string',
    help: 'PEM CA that signed --tls-cert-file, written into the caBundle. Unset: the caBundle is left as it is.',
    commands: serving,
  },
  {
    flag: 'cert-dns-names',
    env: 'INFERENCE_CRDS_CERT_DNS_NAMES',
    kind: 'list',
    default: 'localhost',
    help: 'Comma-separated DNS names for the generated serving certificate.',
    commands: serving,
  },
  {
    flag: 'cert-ip-addresses',
    env: 'INFERENCE_CRDS_CERT_IP_ADDRESSES',
    kind: 'list',
    default: '127.0.0.1',
    help: 'Comma-separated IP addresses for the generated serving certificate.',
    commands: serving,
  },
  {
    flag: 'serving-cert-validity',
    env: 'INFERENCE_CRDS_SERVING_CERT_VALIDITY',
    kind: 'integer',
    default: '604800',
    min: 10,
    max: 31536000,
    help: 'Seconds a generated serving certificate is valid. It is renewed without a restart.',
    commands: serving,
  },
  {
    flag: 'ca-validity',
    env: 'INFERENCE_CRDS_CA_VALIDITY',
    kind: 'integer',
    default: '31536000',
    min: 10,
    max: 315360000,
    help: 'Seconds a generated CA is valid, at least --serving-cert-validity. Rotated without a restart.',
    commands: serving,
  },
  {
    flag: 'cert-renewal-percent',
    env: 'INFERENCE_CRDS_CERT_RENEWAL_PERCENT',
    kind: 'integer',
    default: '67',
    min: 10,
    max: 90,
    help: 'Percent of its lifetime after which a generated serving certificate or CA is replaced.',
    commands: serving,
  },
  {
    flag: 'ca-secret',
    env: 'INFERENCE_CRDS_CA_SECRET',
    kind: 'string',
    help: 'Name of a Secret in --namespace that stores the CA shared by all replicas. Unset: the CA is kept in --cert-dir.',
    commands: serving,
  },
  {
    flag: 'namespace',
    env: 'POD_NAMESPACE',
    kind: 'string',
    default: 'default',
    help: 'Namespace of the CA Secret.',
    commands: serving,
  },
  {
    flag: 'webhook-config-name',
    env: 'INFERENCE_CRDS_WEBHOOK_CONFIG_NAME',
    kind: 'string',
    default: 'inference-extension-crds',
    help: 'Name of the ValidatingWebhookConfiguration whose caBundle serve keeps in step, and that uninstall --allow-webhook-config-deletion annotates.',
    commands: ['serve', 'uninstall'],
  },
  {
    flag: 'allow-webhook-config-deletion',
    env: 'INFERENCE_CRDS_ALLOW_WEBHOOK_CONFIG_DELETION',
    kind: 'boolean',
    default: 'false',
    help: 'Set the inference-extension-crds.dev/allow-delete annotation to "true" on --webhook-config-name, so that the webhook guard policy lets it be deleted.',
    commands: ['uninstall'],
  },
  {
    flag: 'keep-crds',
    env: 'INFERENCE_CRDS_KEEP_CRDS',
    kind: 'boolean',
    default: 'false',
    help: 'Leave the CRDs and their objects in place. Needs --allow-webhook-config-deletion, the only work left.',
    commands: ['uninstall'],
  },
  {
    // No environment variable, so that a confirmation is never inherited
    // from the shell or a pod spec.
    flag: 'yes',
    kind: 'boolean',
    default: 'false',
    help: 'Confirm that uninstall deletes the CRDs and every object of their kinds. Without it, and without --keep-crds, uninstall lists what it would delete, changes nothing and exits with code 2.',
    commands: ['uninstall'],
  },
  {
    flag: 'webhook-url',
    env: 'INFERENCE_CRDS_WEBHOOK_URL',
    kind: 'string',
    help: 'Create or update the webhook configuration to call this https URL, for runs outside a cluster. Unset: only its caBundle is patched.',
    commands: serving,
  },
] as const satisfies readonly OptionSpec[];

export type OptionFlag = (typeof optionSpecs)[number]['flag'];
