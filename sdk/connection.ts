// Which Ironic a resource talks to, and with which credentials. Three layers, each of which may
// name an Ironic: the resource's own `ironic` input, the stack config of the `pulumi-metal3`
// namespace, the environment / clouds.yaml (as `baremetal` reads it). The first layer that names
// an Ironic (a url or a cloud) gives the whole connection: credentials, TLS material and settings
// are never taken from another layer, so a resource that points at another Ironic does not carry
// the stack's password or client certificate there. A layer that sets anything without naming an
// Ironic is refused at preview (connectionCheck), naming the setting.
import { IronicError } from "../provider/ironic/errors";
import { resolveConnection, type IronicConnectionOptions } from "../provider/ironic/connection";
import { containsUnknown, isUnknown, type IronicConnectionInput } from "./schemas/common";

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
    allowInsecureHttp: "pulumi-metal3:ironicAllowInsecureHttp",
};

const BOOLEAN_FIELDS = new Set<string>(["insecure", "allowInsecureHttp"]);

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
        out[field] = BOOLEAN_FIELDS.has(field) ? raw === "true" : raw;
    }
    return out as IronicConnectionInput;
}

/** A layer names an Ironic when it gives a url or a clouds.yaml cloud (unknown at preview counts). */
function namesIronic(layer: IronicConnectionInput | undefined): boolean {
    return !!layer && (layer.url !== undefined || layer.cloud !== undefined);
}

function setFields(layer: IronicConnectionInput | undefined): string[] {
    return Object.entries(layer ?? {})
        .filter(([, v]) => v !== undefined)
        .map(([k]) => k);
}

export interface ConnectionFailure {
    property: string;
    reason: string;
}

/** Settings given in a layer that names no Ironic (they would go to another layer's Ironic). Pure. */
export function connectionLayerProblems(resource: IronicConnectionInput | undefined, stack: IronicConnectionInput | undefined): ConnectionFailure[] {
    if (resource !== undefined && isUnknown(resource)) return [];
    if (namesIronic(resource)) return [];
    const out: ConnectionFailure[] = [];
    for (const k of setFields(resource)) {
        out.push({
            property: `ironic.${k}`,
            reason:
                `is set but ironic.url (or ironic.cloud) is not: connection settings and credentials are only taken from the layer that names the Ironic, ` +
                `so that they never go to an Ironic given elsewhere. Set ironic.url beside it, or move it to stack config with pulumi-metal3:ironicUrl`,
        });
    }
    if (!namesIronic(stack)) {
        for (const k of setFields(stack)) {
            out.push({
                property: "ironic",
                reason:
                    `stack config ${IRONIC_CONFIG_KEYS[k as keyof IronicConnectionInput]} is set but ${IRONIC_CONFIG_KEYS.url} (or ${IRONIC_CONFIG_KEYS.cloud}) is not: ` +
                    `connection settings and credentials are only taken from the layer that names the Ironic, so that they never go to the Ironic of the environment (OS_ENDPOINT / OS_CLOUD). ` +
                    `Set ${IRONIC_CONFIG_KEYS.url} too, or remove it`,
            });
        }
    }
    return out;
}

/**
 * The connection options of the one layer that names an Ironic: the resource's input, else stack
 * config, else nothing (the client reads the environment). Throws when a layer sets something
 * without naming an Ironic (check refuses that at preview already).
 */
export function mergeConnection(resource: IronicConnectionInput | undefined, stack: IronicConnectionInput | undefined): IronicConnectionOptions {
    if (namesIronic(resource)) return { ...resource, source: "resource input ironic" } as IronicConnectionOptions;
    const problems = connectionLayerProblems(resource, stack);
    if (problems.length) throw new Error(`Ironic connection: ${problems.map((p) => `${p.property}: ${p.reason}`).join("; ")}`);
    if (namesIronic(stack)) return { ...stack, source: "stack config pulumi-metal3:ironic*" } as IronicConnectionOptions;
    return {};
}

/**
 * What `check` says of the connection a resource will use, before anything is sent: failures
 * (settings in a layer that names no Ironic, credentials over plain http to another machine, a
 * bad timeout) and warnings to show on every run (TLS verification off). A connection not known
 * yet (unknown at preview) or with no endpoint at all is left to create, which says so.
 */
export function connectionCheck(
    resource: IronicConnectionInput | undefined,
    stack: IronicConnectionInput | undefined,
    env: NodeJS.ProcessEnv = process.env,
): { failures: ConnectionFailure[]; warnings: string[] } {
    const failures = connectionLayerProblems(resource, stack);
    if (failures.length || containsUnknown(resource)) return { failures, warnings: [] };
    try {
        return { failures, warnings: resolveConnection(mergeConnection(resource, stack), env).warnings };
    } catch (e) {
        if (e instanceof IronicError && /no Ironic endpoint given/.test(e.message)) return { failures, warnings: [] };
        return { failures: [{ property: "ironic", reason: e instanceof Error ? e.message : String(e) }], warnings: [] };
    }
}
