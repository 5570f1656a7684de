// Which Ironic a resource talks to: its own `ironic` input first, then the stack config of the
// `pulumi-metal3` namespace, then what the client reads from the environment / clouds.yaml.
import type { IronicConnectionInput } from "./schemas/common";

/** Stack config keys (namespace `pulumi-metal3`), e.g. `pulumi config set pulumi-metal3:ironicUrl ...`. */
export const IRONIC_CONFIG_KEYS: Record<keyof IronicConnectionInput, string> = {
  url: "pulumi-metal3:ironicUrl",
  authType: "pulumi-metal3:ironicAuthType",
  username: "pulumi-metal3:ironicUsername",
  password: "pulumi-metal3:ironicPassword",
  token: "pulumi-metal3:ironicToken",
  cloud: "pulumi-metal3:ironicCloud",
  caFile: "pulumi-metal3:ironicCaFile",
  certFile: "pulumi-metal3:ironicCertFile",
  keyFile: "pulumi-metal3:ironicKeyFile",
  insecure: "pulumi-metal3:ironicInsecure",
};

/** Stack config keys for the agent images every host without its own gets. */
export const DEPLOY_IMAGE_CONFIG_KEYS = {
  deployKernel: "pulumi-metal3:deployKernel",
  deployRamdisk: "pulumi-metal3:deployRamdisk",
  deployIso: "pulumi-metal3:deployIso",
} as const;

export type DeployImageConfig = Partial<Record<keyof typeof DEPLOY_IMAGE_CONFIG_KEYS, string>>;

/** The agent image URLs set in stack config (unset keys are left out). */
export function deployImagesFromStackConfig(get: (key: string) => string | undefined): DeployImageConfig {
  const out: DeployImageConfig = {};
  for (const [field, key] of Object.entries(DEPLOY_IMAGE_CONFIG_KEYS)) {
    const raw = get(key);
    if (raw) out[field as keyof DeployImageConfig] = raw;
  }
  return out;
}

/**
 * Reads the connection settings from stack config. `get` is the dynamic provider's
 * `ConfigureRequest.config.get` (secret values arrive in plain text there and are only held in
 * memory, never written to state).
 */
export function connectionFromStackConfig(get: (key: string) => string | undefined): IronicConnectionInput {
  const out: Record<string, unknown> = {};
  for (const [field, key] of Object.entries(IRONIC_CONFIG_KEYS)) {
    const raw = get(key);
    if (raw === undefined || raw === "") continue;
    out[field] = field === "insecure" ? raw === "true" : raw;
  }
  return out as IronicConnectionInput;
}

/** Resource input wins field by field over stack config; the client then falls back to the environment. */
export function mergeConnection(
  resource: IronicConnectionInput | undefined,
  stack: IronicConnectionInput | undefined,
): IronicConnectionInput {
  const merged: Record<string, unknown> = { ...(stack ?? {}) };
  for (const [k, v] of Object.entries(resource ?? {})) if (v !== undefined) merged[k] = v;
  return merged as IronicConnectionInput;
}
