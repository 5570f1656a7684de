// The config drive Ironic builds for a deployment (API >= 1.56 takes it as a JSON object), with
// the contents baremetal-operator puts there (baremetal-operator internal/controller/metal3.io/host_config_data.go; pkg/provisioner/ironic/ironic.go).
import * as yaml from "js-yaml";
import type { ConfigDrive } from "../ironic/types";

export interface ConfigDriveInput {
    /** Host (or machine) name: metal3-name, local-hostname, local_hostname, name. */
    hostName: string;
    namespace: string;
    /** meta_data `uuid`: BMO uses the BareMetalHost's UID; we use the node's instance UUID. */
    uuid: string;
    userData?: string | Record<string, unknown>;
    networkData?: string | Record<string, unknown>;
    metaData?: string | Record<string, unknown>;
}

/** YAML or JSON text (YAML is a superset) or an object → object. Throws naming the field. */
export function parseDataObject(field: string, value: string | Record<string, unknown>): Record<string, unknown> {
    if (typeof value !== "string") return value;
    let parsed: unknown;
    try {
        parsed = yaml.load(value);
    } catch (e) {
        throw new Error(`${field} is neither JSON nor YAML: ${(e as Error).message.split("\n")[0]}`);
    }
    if (parsed === undefined || parsed === null) return {};
    if (typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(`${field} must be a JSON/YAML object (mapping)`);
    return parsed as Record<string, unknown>;
}

/** The default meta_data keys, with the user's metaData merged over them (as BMO does). */
export function defaultMetaData(input: Pick<ConfigDriveInput, "hostName" | "namespace" | "uuid">): Record<string, unknown> {
    return {
        uuid: input.uuid,
        "metal3-namespace": input.namespace,
        "metal3-name": input.hostName,
        "local-hostname": input.hostName,
        local_hostname: input.hostName,
        name: input.hostName,
    };
}

export function buildConfigDrive(input: ConfigDriveInput): Exclude<ConfigDrive, string> {
    const drive: Exclude<ConfigDrive, string> = {
        meta_data: { ...defaultMetaData(input), ...(input.metaData !== undefined ? parseDataObject("metaData", input.metaData) : {}) },
    };
    if (input.userData !== undefined) drive.user_data = input.userData;
    if (input.networkData !== undefined) drive.network_data = parseDataObject("networkData", input.networkData);
    return drive;
}
