// Ironic's own resources as its REST API returns them (API microversion 1.81/1.82).
// Field names are Ironic's, on purpose: this is the edge where Ironic's vocabulary lives;
// Metal³ words (hosts, machines) belong to the layers above.

/** A JSON-patch operation as Ironic's PATCH endpoints accept it (RFC 6902 subset). */
export interface JsonPatchOp {
    op: "add" | "replace" | "remove";
    path: string;
    value?: unknown;
}

export interface Link {
    href: string;
    rel: string;
}

/** One virtual media device as Ironic's GET /v1/nodes/{id}/vmedia reports it (ironic/drivers/modules/redfish/boot.py _get_vmedia). */
export interface VirtualMedia {
    /** Redfish MediaTypes of the device, e.g. ["CD", "DVD"]. */
    media_types: string[];
    inserted: boolean;
    /** The URL the BMC reads (Ironic's own copy when Ironic served it). */
    image: string | null;
}

export interface Node {
    uuid: string;
    name: string | null;
    driver: string;
    driver_info: Record<string, unknown>;
    driver_internal_info?: Record<string, unknown>;
    provision_state: string;
    target_provision_state: string | null;
    provision_updated_at?: string | null;
    power_state: string | null;
    target_power_state: string | null;
    maintenance: boolean;
    maintenance_reason: string | null;
    fault?: string | null;
    last_error: string | null;
    reservation?: string | null;
    conductor?: string | null;
    conductor_group?: string;
    extra: Record<string, unknown>;
    properties: Record<string, unknown>;
    instance_info: Record<string, unknown>;
    instance_uuid: string | null;
    allocation_uuid: string | null;
    resource_class: string | null;
    traits: string[];
    description: string | null;
    owner?: string | null;
    lessee?: string | null;
    shard?: string | null;
    automated_clean?: boolean | null;
    protected?: boolean;
    protected_reason?: string | null;
    retired?: boolean;
    retired_reason?: string | null;
    console_enabled?: boolean;
    inspection_started_at?: string | null;
    inspection_finished_at?: string | null;
    clean_step?: Record<string, unknown> | null;
    deploy_step?: Record<string, unknown> | null;
    boot_mode?: string | null;
    secure_boot?: boolean | null;
    network_data?: Record<string, unknown>;
    bios_interface?: string | null;
    boot_interface?: string | null;
    console_interface?: string | null;
    deploy_interface?: string | null;
    firmware_interface?: string | null;
    inspect_interface?: string | null;
    management_interface?: string | null;
    network_interface?: string | null;
    power_interface?: string | null;
    raid_interface?: string | null;
    rescue_interface?: string | null;
    storage_interface?: string | null;
    vendor_interface?: string | null;
    created_at: string;
    updated_at: string | null;
    links?: Link[];
}

/**
 * A node with every required field empty (available, powered off, no record, no claim), `over`
 * laid on top: the base of the node the preview simulates (provider/host/plan.ts) and of the
 * nodes the unit tests decide on.
 */
export function blankNode(over: Partial<Node> = {}): Node {
    return {
        uuid: "00000000-0000-4000-8000-000000000000",
        name: null,
        driver: "",
        driver_info: {},
        provision_state: "available",
        target_provision_state: null,
        power_state: "power off",
        target_power_state: null,
        maintenance: false,
        maintenance_reason: null,
        last_error: null,
        extra: {},
        properties: {},
        instance_info: {},
        instance_uuid: null,
        allocation_uuid: null,
        resource_class: null,
        traits: [],
        description: null,
        created_at: "",
        updated_at: null,
        ...over,
    };
}

/** What `createNode` sends: any writable node field, `driver` required. */
export type NodeCreate = Partial<Node> & { driver: string };

export interface Port {
    uuid: string;
    address: string;
    node_uuid: string;
    portgroup_uuid?: string | null;
    pxe_enabled: boolean;
    local_link_connection?: Record<string, unknown>;
    physical_network?: string | null;
    is_smartnic?: boolean;
    name?: string | null;
    extra: Record<string, unknown>;
    internal_info?: Record<string, unknown>;
    created_at: string;
    updated_at: string | null;
    links?: Link[];
}

export interface PortCreate {
    node_uuid: string;
    address: string;
    pxe_enabled?: boolean;
    extra?: Record<string, unknown>;
}

export interface Allocation {
    uuid: string;
    name: string | null;
    /** "allocating" | "active" | "error" */
    state: string;
    node_uuid: string | null;
    resource_class: string;
    traits: string[];
    candidate_nodes: string[];
    last_error: string | null;
    extra: Record<string, unknown>;
    owner: string | null;
    created_at: string;
    updated_at: string | null;
    links?: Link[];
}

export interface AllocationCreate {
    name?: string;
    resource_class: string;
    traits?: string[];
    candidate_nodes?: string[];
    extra?: Record<string, unknown>;
    owner?: string;
}

export interface NodeInventory {
    inventory: any;
    plugin_data?: any;
}

/** One interface's answer in GET /v1/nodes/{id}/validate. */
export interface ValidationResult {
    result: boolean | null;
    reason: string | null;
}

export type ProvisionTarget = "manage" | "inspect" | "provide" | "active" | "rebuild" | "deleted" | "abort" | "adopt" | "clean" | "undeploy";

export type PowerTarget = "power on" | "power off" | "rebooting" | "soft power off" | "soft rebooting";

/** A config drive Ironic builds itself (API >= 1.56), or a pre-built gzipped+base64 ISO / URL as a string. */
export type ConfigDrive =
    | string
    | {
          meta_data?: Record<string, unknown>;
          user_data?: string | Record<string, unknown>;
          network_data?: Record<string, unknown>;
          vendor_data?: Record<string, unknown>;
      };

export interface ProvisionOptions {
    configDrive?: ConfigDrive;
    cleanSteps?: object[];
    deploySteps?: object[];
    disableRamdisk?: boolean;
}

export interface NodeListFilter {
    provision_state?: string;
    maintenance?: boolean;
    associated?: boolean;
    resource_class?: string;
    driver?: string;
    /** Only these fields (uses GET /v1/nodes?fields=..., not /detail). */
    fields?: string[];
    /** Page size; all pages are fetched anyway (default: Ironic's, 1000). */
    limit?: number;
}

export interface PortListFilter {
    /** Node UUID or name. */
    node?: string;
    address?: string;
}

export interface AllocationListFilter {
    node?: string;
    state?: string;
    resource_class?: string;
}

/** GET / (the unversioned root) answer, the part we read. */
export interface RootVersion {
    id: string;
    min_version: string;
    version: string;
    status?: string;
}

/** One BIOS setting as Ironic reports it with its registry (API 1.74 `?detail=True`). */
export interface BiosSetting {
    name: string;
    value: string | null;
    attribute_type?: string | null;
    allowable_values?: string[] | null;
    lower_bound?: number | null;
    upper_bound?: number | null;
    min_length?: number | null;
    max_length?: number | null;
    read_only?: boolean | null;
    reset_required?: boolean | null;
    unique?: boolean | null;
}
