// Pieces of input schema shared by every resource: the Ironic connection block and the handling of
// values that are still unknown at `pulumi preview`.
import { z } from "zod";

/**
 * At preview the engine sends inputs it cannot know yet (outputs of other resources) as this
 * sentinel string. `check` and `diff` must accept it wherever a value is expected.
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A schema's output type once every value is known (create/update time): the sentinel removed, all the way down. */
export type Known<T> = T extends typeof UNKNOWN
  ? never
  : T extends (infer U)[]
    ? Known<U>[]
    : T extends object
      ? { [K in keyof T]: Known<T[K]> }
      : T;

export function isUnknown(value: unknown): boolean {
  return value === UNKNOWN;
}

/** True when the value, or anything inside it, is still unknown. */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/**
 * Wraps a schema so the unknown sentinel passes validation at preview. The real value is
 * validated again when it is known (the engine calls check again before create/update).
 */
export function orUnknown<T extends z.ZodTypeAny>(schema: T) {
  return z.union([z.literal(UNKNOWN), schema]);
}

/**
 * Kubernetes object name (DNS-1123 subdomain): a BareMetalHost's or Machine's name becomes the
 * name of the Metal³ / Cluster API objects and, as `<namespace>~<name>`, of its Ironic node or
 * allocation, so it is held to the apiserver's rule at preview.
 */
export const K8S_OBJECT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Kubernetes namespace name (DNS-1123 label). */
export const K8S_NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Ironic's limit on a node or allocation name (`<namespace>~<name>` here). */
export const IRONIC_NAME_MAX_LENGTH = 255;

export const objectNameSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(K8S_OBJECT_NAME, "must be a Kubernetes object name (DNS-1123 subdomain): lower case letters, digits, '-' and '.', starting and ending with a letter or digit");
export const namespaceSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(K8S_NAMESPACE, "must be a Kubernetes namespace name (DNS-1123 label): lower case letters, digits and '-', starting and ending with a letter or digit");

/** Why `<namespace>~<name>` cannot name an Ironic node or allocation, or undefined when it can. */
export function ironicNameProblem(namespace: string, name: string): string | undefined {
  const length = namespace.length + 1 + name.length;
  if (length <= IRONIC_NAME_MAX_LENGTH) return undefined;
  return `is too long: with namespace "${namespace}" the Ironic name <namespace>~<name> has ${length} characters, Ironic allows ${IRONIC_NAME_MAX_LENGTH}`;
}

/** Where to find Ironic. Every field is optional: missing ones come from stack config, then env. */
export const ironicConnectionSchema = z
  .object({
    url: z.string().url().describe("Ironic API endpoint, e.g. http://ironic.example:6385").optional(),
    authType: z.enum(["none", "http_basic", "token"]).describe("Authentication: none (noauth), http_basic or token").optional(),
    username: z.string().min(1).describe("HTTP basic user name").optional(),
    password: z.string().min(1).describe("HTTP basic password (secret)").optional(),
    token: z.string().min(1).describe("Auth token sent as X-Auth-Token (secret)").optional(),
    cloud: z.string().min(1).describe("Entry of clouds.yaml to use, as OS_CLOUD").optional(),
    caFile: z.string().min(1).describe("CA bundle to verify Ironic's TLS certificate").optional(),
    certFile: z.string().min(1).describe("Client certificate (PEM)").optional(),
    keyFile: z.string().min(1).describe("Client certificate key (PEM)").optional(),
    insecure: z.boolean().describe("Skip TLS verification (explicit opt-in)").optional(),
  })
  .strict();

export type IronicConnectionInput = z.infer<typeof ironicConnectionSchema>;

/** Input names whose values are secrets (kept secret in state and outputs). */
export const IRONIC_SECRET_FIELDS = ["password", "token"] as const;
