import type { StatusCause } from './status';
import type { Container, KubeObject, PodSpec } from './types';

// The API server's validation rules the launcher can trip over, with its messages: a label value
// that is a URL, an env var name with a space, a Job name over 63 characters.

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

const cause = (field: string, message: string, reason = 'FieldValueInvalid'): StatusCause => ({ reason, message, field });

export function validateMeta(obj: KubeObject, maxNameLength = 253): StatusCause[] {
  const causes: StatusCause[] = [];
  const { name, labels = {}, annotations = {} } = obj.metadata;
  if (!name) causes.push(cause('metadata.name', 'Required value: name or generateName is required', 'FieldValueRequired'));
  else if (!DNS_SUBDOMAIN.test(name)) {
    causes.push(
      cause(
        'metadata.name',
        `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      ),
    );
  } else if (name.length > maxNameLength) {
    causes.push(cause('metadata.name', `Invalid value: "${name}": must be no more than ${maxNameLength} characters`));
  }
  causes.push(...validateLabels(labels, 'metadata.labels'));
  for (const key of Object.keys(annotations)) {
    if (!validKey(key))
      causes.push(cause('metadata.annotations', `Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.'`));
  }
  return causes;
}

export function validateLabels(labels: Record<string, unknown>, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (!validKey(key))
      causes.push(
        cause(
          field,
          `Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
        ),
      );
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      causes.push(
        cause(
          field,
          `Invalid value: "${String(value)}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
        ),
      );
    }
  }
  return causes;
}

function validKey(key: string): boolean {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}

export function validatePodSpec(spec: PodSpec | undefined, field: string, restartPolicies: readonly string[]): StatusCause[] {
  if (!spec || !Array.isArray(spec.containers) || spec.containers.length === 0) {
    return [cause(`${field}.containers`, 'Required value', 'FieldValueRequired')];
  }
  const causes: StatusCause[] = [];
  const policy = spec.restartPolicy ?? 'Always';
  if (!restartPolicies.includes(policy)) {
    causes.push(
      cause(
        `${field}.restartPolicy`,
        `Unsupported value: "${policy}": supported values: ${restartPolicies.map((p) => `"${p}"`).join(', ')}`,
        'FieldValueNotSupported',
      ),
    );
  }
  spec.containers.forEach((c: Container, i) => {
    const at = `${field}.containers[${i}]`;
    if (!c.name) causes.push(cause(`${at}.name`, 'Required value', 'FieldValueRequired'));
    if (!c.image) causes.push(cause(`${at}.image`, 'Required value', 'FieldValueRequired'));
    (c.env ?? []).forEach((e, j) => {
      if (!ENV_NAME.test(e.name)) {
        causes.push(
          cause(
            `${at}.env[${j}].name`,
            `Invalid value: "${e.name}": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`,
          ),
        );
      }
      if (e.value !== undefined && e.valueFrom !== undefined) {
        causes.push(cause(`${at}.env[${j}].valueFrom`, 'Invalid value: "": may not be specified when `value` is not empty'));
      }
    });
  });
  return causes;
}

export function validateSecretData(data: Record<string, unknown>): StatusCause[] {
  return Object.keys(data)
    .filter((key) => !SECRET_KEY.test(key))
    .map((key) => cause(`data[${key}]`, `Invalid value: "${key}": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`));
}
