// IronicClient: typed operations on Ironic's REST API, one method per Ironic action, named with
// Ironic's words. HTTP, retries and error unwrapping live in http.ts; polling lives in wait.ts.

import { isDeepStrictEqual } from "util";
import { IronicConnectionOptions, resolveConnection } from "./connection";
import { IronicError } from "./errors";
import { sameJson } from "../canonical-json";
import { HttpRequestOptions, HttpResponse, IronicHttp, RecoveryCheck } from "./http";
import {
    BiosSetting,
    Allocation,
    AllocationCreate,
    AllocationListFilter,
    JsonPatchOp,
    Node,
    NodeCreate,
    NodeInventory,
    NodeListFilter,
    Port,
    PortCreate,
    PortListFilter,
    PowerTarget,
    ProvisionOptions,
    ProvisionTarget,
    RootVersion,
    ValidationResult,
    VirtualMedia,
} from "./types";
import { sharedPoller } from "./poller";
import * as wait from "./wait";

/** Lowest microversion we can work with: 1.81 brings the node inventory API (allocations need 1.52, config drive objects 1.56). */
export const REQUIRED_MICROVERSION = "1.81";
/** Highest microversion this client knows; we use min(server max, this). */
export const PREFERRED_MICROVERSION = "1.82";
/** Servicing (PUT provision state `service` with service_steps) came with API 1.87. */
export const SERVICE_MICROVERSION = "1.87";
/** Virtual media attach / detach (API 1.89) and their read-back (1.93): asked for on those calls only. */
export const VMEDIA_MICROVERSION = "1.89";
export const VMEDIA_GET_MICROVERSION = "1.93";

/** Compare "1.9" and "1.10" as versions, not strings. */
export function compareMicroversions(a: string, b: string): number {
    const [aMajor, aMinor] = a.split(".").map(Number);
    const [bMajor, bMinor] = b.split(".").map(Number);
    return aMajor - bMajor || aMinor - bMinor;
}

/**
 * From Ironic's `GET /` answer: the server's range and the microversion to use, min(server max,
 * PREFERRED); throws naming both versions when the server is older than REQUIRED.
 */
export function negotiateMicroversion(
    root: { default_version?: RootVersion; versions?: RootVersion[] } | undefined,
    url: string,
    source = "options",
): { serverMin: string; serverMax: string; use: string } {
    const v1 = root?.default_version ?? root?.versions?.find((v) => v.id === "v1");
    if (!v1?.version || !v1.min_version) {
        throw new IronicError(`discover the Ironic API at ${url} failed: the answer to GET / has no API version (is this an Ironic endpoint? from ${source})`, {
            operation: "discover the Ironic API",
        });
    }
    if (compareMicroversions(v1.version, REQUIRED_MICROVERSION) < 0) {
        throw new IronicError(
            `Ironic at ${url} supports API microversions ${v1.min_version}–${v1.version}, but pulumi-metal3 needs at least ` +
                `${REQUIRED_MICROVERSION} (node inventory API; Ironic 21.4 / 2023.1 or later): upgrade Ironic`,
            { operation: "negotiate the Ironic API microversion" },
        );
    }
    const use = compareMicroversions(v1.version, PREFERRED_MICROVERSION) < 0 ? v1.version : PREFERRED_MICROVERSION;
    return { serverMin: v1.min_version, serverMax: v1.version, use };
}

const enc = encodeURIComponent;

/** Whether `node` already shows every operation of a JSON patch (a removed path is absent, an added one has its value). */
export function patchShows(node: Node, ops: JsonPatchOp[]): boolean {
    return ops.every((op) => {
        let at: unknown = node;
        for (const raw of op.path.split("/").slice(1)) {
            const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
            at = at && typeof at === "object" ? (at as Record<string, unknown>)[key] : undefined;
        }
        return op.op === "remove" ? at === undefined || at === null : isDeepStrictEqual(at, op.value);
    });
}

/** Where each provision verb takes the node; used to tell whether a request cut off by a lost connection took effect. */
const PROVISION_TARGET_STATE: Partial<Record<ProvisionTarget, { target: string; startsFromOtherState: boolean }>> = {
    manage: { target: "manageable", startsFromOtherState: true },
    provide: { target: "available", startsFromOtherState: true },
    active: { target: "active", startsFromOtherState: true },
    deleted: { target: "available", startsFromOtherState: true },
    undeploy: { target: "available", startsFromOtherState: true },
    adopt: { target: "active", startsFromOtherState: true },
    inspect: { target: "manageable", startsFromOtherState: false },
    clean: { target: "manageable", startsFromOtherState: false },
    rebuild: { target: "active", startsFromOtherState: false },
};

export class IronicClient {
    private constructor(private readonly http: IronicHttp) {}

    /** Resolve endpoint/auth/TLS (options → clouds.yaml for options.cloud → env → OS_CLOUD), read `GET /`, negotiate the microversion. */
    static async connect(opts: IronicConnectionOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<IronicClient> {
        const connection = resolveConnection(opts, env);
        const http = new IronicHttp(connection, PREFERRED_MICROVERSION);
        try {
            const root = await http.send<{ default_version?: RootVersion; versions?: RootVersion[] }>("GET", "/", {
                operation: `discover the Ironic API at ${connection.url}`,
            });
            const negotiated = negotiateMicroversion(root.body, connection.url, connection.source);
            http.serverMinVersion = negotiated.serverMin;
            http.serverMaxVersion = negotiated.serverMax;
            http.microversion = negotiated.use;
            return new IronicClient(http);
        } catch (err) {
            await http.destroy();
            throw err;
        }
    }

    /** The microversion sent on every call. */
    get apiVersion(): string {
        return this.http.microversion;
    }

    /** The server's supported microversion range. */
    get serverVersions(): { min: string; max: string } {
        return { min: this.http.serverMinVersion!, max: this.http.serverMaxVersion! };
    }

    /** `requests` counts every HTTP request including retries (benchmarks read it); `retries` the repeated ones. */
    get stats(): { requests: number; retries: number } {
        return this.http.stats;
    }

    get url(): string {
        return this.http.connection.url;
    }

    close(): Promise<void> {
        return this.http.close();
    }

    /** Low-level escape hatch (tests, rare calls): any API path, optionally at another microversion. Returns the parsed body. */
    async request<T = any>(method: string, path: string, opts: { body?: unknown; microversion?: string } = {}): Promise<T> {
        const res = await this.http.send<T>(method, path, { ...opts, operation: `${method} ${path}` });
        return res.body;
    }

    // ---- nodes ---------------------------------------------------------------------------------

    async createNode(body: NodeCreate): Promise<Node> {
        const who = body.name ?? body.uuid;
        const res = await this.http.send<Node>("POST", "/v1/nodes", {
            body,
            operation: `create node ${who ?? `(unnamed, driver ${body.driver})`}`,
            node: who ?? undefined,
            // After a lost connection: look the node up before creating it again.
            recover: async (): Promise<RecoveryCheck<Node>> => {
                if (!who) return { tookEffect: "unknown" };
                const existing = await this.findNode(who);
                // Ours only when it carries what this request wrote (the owner record with its MAC,
                // provider/owner-record.ts, the keyed BMC digest of this very create): a node someone else has under the name is left
                // to the repeated POST's 409, and so to the caller's ownership checks.
                return existing && carriesWhatWasSent(body.extra, existing.extra) ? { tookEffect: true, result: existing } : { tookEffect: false };
            },
        });
        return res.body;
    }

    getNode(idOrName: string): Promise<Node> {
        return this.body<Node>("GET", `/v1/nodes/${enc(idOrName)}`, { operation: `get node ${idOrName}`, node: idOrName });
    }

    async findNode(idOrName: string): Promise<Node | undefined> {
        return this.orUndefinedWhenMissing(() => this.getNode(idOrName));
    }

    listNodes(filter: NodeListFilter = {}): Promise<Node[]> {
        const { fields, ...rest } = filter;
        const query: HttpRequestOptions["query"] = { ...rest };
        if (fields?.length) query.fields = fields.join(",");
        return this.list<Node>(fields?.length ? "/v1/nodes" : "/v1/nodes/detail", "nodes", query, "list nodes");
    }

    patchNode(id: string, ops: JsonPatchOp[]): Promise<Node> {
        return this.body<Node>("PATCH", `/v1/nodes/${enc(id)}`, {
            body: ops,
            operation: `update node ${id} (${ops.map((o) => `${o.op} ${o.path}`).join(", ")})`,
            node: id,
            // A "remove" repeated after it took effect fails (nothing left to remove): look first.
            // Ironic applies a patch as a whole, so all of it shows, or none.
            idempotent: false,
            recover: async (): Promise<RecoveryCheck<Node>> => {
                const node = await this.getNode(id);
                return patchShows(node, ops) ? { tookEffect: true, result: node } : { tookEffect: false };
            },
        });
    }

    async deleteNode(id: string): Promise<void> {
        await this.http.send("DELETE", `/v1/nodes/${enc(id)}`, { operation: `delete node ${id}`, node: id, goneIsSuccess: true });
    }

    // ---- provisioning and power ------------------------------------------------------------------

    async setProvisionState(id: string, target: ProvisionTarget, opts: ProvisionOptions = {}): Promise<void> {
        const body: Record<string, unknown> = { target };
        if (opts.configDrive !== undefined) body.configdrive = opts.configDrive;
        if (opts.cleanSteps) body.clean_steps = opts.cleanSteps;
        if (opts.deploySteps) body.deploy_steps = opts.deploySteps;
        if (opts.disableRamdisk !== undefined) body.disable_ramdisk = opts.disableRamdisk;
        const expected = PROVISION_TARGET_STATE[target];
        await this.http.send("PUT", `/v1/nodes/${enc(id)}/states/provision`, {
            body,
            operation: `set provision state "${target}" on node ${id}`,
            node: id,
            idempotent: false,
            // After a lost connection: if the node is on its way (or already there), do not ask twice.
            recover: async (): Promise<RecoveryCheck<undefined>> => {
                if (!expected) return { tookEffect: "unknown" };
                const node = await this.getNode(id);
                if (node.target_provision_state === expected.target) return { tookEffect: true, result: undefined };
                if (expected.startsFromOtherState && node.provision_state === expected.target) return { tookEffect: true, result: undefined };
                return expected.startsFromOtherState ? { tookEffect: false } : { tookEffect: "unknown" };
            },
        });
    }

    /**
     * Servicing (API 1.87, Ironic 2024.1): runs `steps` on an active node and brings it back to
     * active, without deprovisioning (ironic/conductor/servicing.py). Asked at 1.87 for this one
     * call: the rest of the client stays at its negotiated version.
     */
    async service(id: string, steps: object[]): Promise<void> {
        const max = this.http.serverMaxVersion;
        if (max && compareMicroversions(max, SERVICE_MICROVERSION) < 0) {
            throw new Error(`servicing needs Ironic API ${SERVICE_MICROVERSION} (Ironic 2024.1 or later); this Ironic supports up to ${max}: upgrade Ironic`);
        }
        await this.http.send("PUT", `/v1/nodes/${enc(id)}/states/provision`, {
            body: { target: "service", service_steps: steps },
            microversion: SERVICE_MICROVERSION,
            operation: `service node ${id}`,
            node: id,
            idempotent: false,
            // After a lost connection: a node already servicing took the request.
            recover: async (): Promise<RecoveryCheck<undefined>> => {
                const node = await this.getNode(id);
                return node.provision_state.startsWith("servic") ? { tookEffect: true, result: undefined } : { tookEffect: "unknown" };
            },
        });
    }

    /**
     * The node's BIOS settings with their registry (allowable values, bounds, read-only; API
     * 1.74 `?detail=True`), as Ironic cached them from the BMC.
     */
    async getBiosSettings(id: string): Promise<BiosSetting[]> {
        const res = await this.body<{ bios?: BiosSetting[] }>("GET", `/v1/nodes/${enc(id)}/bios?detail=True`, {
            operation: `get BIOS settings of node ${id}`,
            node: id,
        });
        return res.bios ?? [];
    }

    async setPowerState(id: string, target: PowerTarget, opts: { timeoutS?: number } = {}): Promise<void> {
        const body: Record<string, unknown> = { target };
        if (opts.timeoutS !== undefined) body.timeout = opts.timeoutS;
        const isOnOff = target === "power on" || target === "power off" || target === "soft power off";
        await this.http.send("PUT", `/v1/nodes/${enc(id)}/states/power`, {
            body,
            operation: `set power state "${target}" on node ${id}`,
            node: id,
            // Powering on/off twice is harmless; a reboot twice is not.
            idempotent: isOnOff,
            recover: async (): Promise<RecoveryCheck<undefined>> => {
                const node = await this.getNode(id);
                return node.target_power_state ? { tookEffect: true, result: undefined } : { tookEffect: "unknown" };
            },
        });
    }

    async setMaintenance(id: string, reason?: string): Promise<void> {
        await this.http.send("PUT", `/v1/nodes/${enc(id)}/maintenance`, {
            body: reason === undefined ? {} : { reason },
            operation: `set maintenance on node ${id}`,
            node: id,
        });
    }

    async unsetMaintenance(id: string): Promise<void> {
        await this.http.send("DELETE", `/v1/nodes/${enc(id)}/maintenance`, { operation: `unset maintenance on node ${id}`, node: id });
    }

    validateNode(id: string): Promise<Record<string, ValidationResult>> {
        return this.body("GET", `/v1/nodes/${enc(id)}/validate`, { operation: `validate node ${id}`, node: id });
    }

    /** Hardware inventory recorded by inspection (API 1.81); undefined when Ironic has none for this node. */
    async getInventory(nodeId: string): Promise<NodeInventory | undefined> {
        try {
            return await this.body<NodeInventory>("GET", `/v1/nodes/${enc(nodeId)}/inventory`, {
                operation: `get inventory of node ${nodeId}`,
                node: nodeId,
            });
        } catch (err) {
            // A missing node is an error; a node without inventory is just "none yet".
            if (err instanceof IronicError && err.status === 404 && /inventory/i.test(err.faultstring ?? "")) return undefined;
            throw err;
        }
    }

    // ---- ports -------------------------------------------------------------------------------------

    listPorts(filter: PortListFilter = {}): Promise<Port[]> {
        return this.list<Port>("/v1/ports/detail", "ports", { ...filter }, "list ports");
    }

    async createPort(body: PortCreate): Promise<Port> {
        const res = await this.http.send<Port>("POST", "/v1/ports", {
            body,
            operation: `create port ${body.address} on node ${body.node_uuid}`,
            node: body.node_uuid,
            recover: async (): Promise<RecoveryCheck<Port>> => {
                const [existing] = await this.listPorts({ address: body.address });
                if (!existing) return { tookEffect: false };
                return existing.node_uuid === body.node_uuid ? { tookEffect: true, result: existing } : { tookEffect: "unknown" };
            },
        });
        return res.body;
    }

    async deletePort(uuid: string): Promise<void> {
        await this.http.send("DELETE", `/v1/ports/${enc(uuid)}`, { operation: `delete port ${uuid}`, goneIsSuccess: true });
    }

    // ---- RAID and drivers ------------------------------------------------------------------------

    /**
     * The node's target RAID configuration (PUT /v1/nodes/{id}/states/raid): what the next
     * `raid.create_configuration` clean step builds. `{}` clears it (Ironic refuses an empty
     * `logical_disks` list).
     */
    async setTargetRaidConfig(nodeId: string, config: { logical_disks?: unknown[] }): Promise<void> {
        await this.http.send("PUT", `/v1/nodes/${enc(nodeId)}/states/raid`, {
            body: config,
            operation: `set the target RAID configuration of node ${nodeId}`,
            node: nodeId,
        });
    }

    /** The names of the hardware types (drivers) some conductor of this Ironic offers. */
    async listDriverNames(): Promise<string[]> {
        const res = await this.body<{ drivers: { name: string }[] }>("GET", "/v1/drivers", { operation: "list drivers" });
        return res.drivers.map((d) => d.name);
    }

    // ---- virtual media (API 1.89 attach/detach, 1.93 get) -----------------------------------------

    /**
     * Inserts `imageUrl` in the node's virtual `deviceType` (POST /v1/nodes/{id}/vmedia, API 1.89,
     * Ironic's api/controllers/v1/node.py NodeVmediaController). Ironic answers at once and does
     * the insert in a conductor worker holding the node's lock (its `reservation`); a failure ends
     * in the node's last_error. `imageDownloadSource` left out: Ironic's default, "local" (the
     * conductor downloads the image and the BMC reads it from Ironic's own web server), as
     * baremetal-operator's AttachDataImage leaves it.
     */
    async attachVirtualMedia(nodeId: string, body: { device_type: "cdrom" | "disk" | "floppy"; image_url: string }): Promise<void> {
        await this.http.send("POST", `/v1/nodes/${enc(nodeId)}/vmedia`, {
            body,
            microversion: VMEDIA_MICROVERSION,
            operation: `attach virtual media (${body.device_type}) to node ${nodeId}`,
            node: nodeId,
        });
    }

    /** Ejects the node's virtual `deviceTypes` (DELETE /v1/nodes/{id}/vmedia?device_types=, API 1.89); asynchronous as the attach. */
    async detachVirtualMedia(nodeId: string, deviceTypes: ("cdrom" | "disk" | "floppy")[]): Promise<void> {
        await this.http.send("DELETE", `/v1/nodes/${enc(nodeId)}/vmedia`, {
            query: { device_types: deviceTypes.join(",") },
            microversion: VMEDIA_MICROVERSION,
            operation: `detach virtual media (${deviceTypes.join(", ")}) from node ${nodeId}`,
            node: nodeId,
        });
    }

    /** The node's virtual media as the BMC reports them now (GET /v1/nodes/{id}/vmedia, API 1.93; synchronous). */
    async getVirtualMedia(nodeId: string): Promise<VirtualMedia[]> {
        const body = await this.body<VirtualMedia[] | { vmedia?: VirtualMedia[] }>("GET", `/v1/nodes/${enc(nodeId)}/vmedia`, {
            microversion: VMEDIA_GET_MICROVERSION,
            operation: `get virtual media of node ${nodeId}`,
            node: nodeId,
        });
        return Array.isArray(body) ? body : (body?.vmedia ?? []);
    }

    // ---- traits --------------------------------------------------------------------------------------

    async getTraits(nodeId: string): Promise<string[]> {
        const res = await this.body<{ traits: string[] }>("GET", `/v1/nodes/${enc(nodeId)}/traits`, {
            operation: `get traits of node ${nodeId}`,
            node: nodeId,
        });
        return res.traits;
    }

    async setTraits(nodeId: string, traits: string[]): Promise<void> {
        await this.http.send("PUT", `/v1/nodes/${enc(nodeId)}/traits`, {
            body: { traits },
            operation: `set traits [${traits.join(", ")}] on node ${nodeId}`,
            node: nodeId,
        });
    }

    async addTrait(nodeId: string, trait: string): Promise<void> {
        await this.http.send("PUT", `/v1/nodes/${enc(nodeId)}/traits/${enc(trait)}`, { operation: `add trait ${trait} to node ${nodeId}`, node: nodeId });
    }

    async removeTrait(nodeId: string, trait: string): Promise<void> {
        await this.http.send("DELETE", `/v1/nodes/${enc(nodeId)}/traits/${enc(trait)}`, {
            operation: `remove trait ${trait} from node ${nodeId}`,
            node: nodeId,
        });
    }

    // ---- allocations --------------------------------------------------------------------------------

    async createAllocation(body: AllocationCreate): Promise<Allocation> {
        const res = await this.http.send<Allocation>("POST", "/v1/allocations", {
            body,
            operation: `create allocation ${body.name ?? "(unnamed)"} for resource class "${body.resource_class}"`,
            recover: async (): Promise<RecoveryCheck<Allocation>> => {
                if (!body.name) return { tookEffect: "unknown" };
                const existing = await this.findAllocation(body.name);
                // As for nodes: another owner's allocation of that name is not this create's.
                return existing && carriesWhatWasSent(body.extra, existing.extra) ? { tookEffect: true, result: existing } : { tookEffect: false };
            },
        });
        return res.body;
    }

    getAllocation(idOrName: string): Promise<Allocation> {
        return this.body<Allocation>("GET", `/v1/allocations/${enc(idOrName)}`, { operation: `get allocation ${idOrName}` });
    }

    findAllocation(idOrName: string): Promise<Allocation | undefined> {
        return this.orUndefinedWhenMissing(() => this.getAllocation(idOrName));
    }

    /** PATCH an allocation (API 1.57+: its name and extra). */
    patchAllocation(idOrName: string, ops: JsonPatchOp[]): Promise<Allocation> {
        return this.body<Allocation>("PATCH", `/v1/allocations/${enc(idOrName)}`, {
            body: ops,
            operation: `update allocation ${idOrName} (${ops.map((o) => `${o.op} ${o.path}`).join(", ")})`,
            idempotent: false,
            recover: async (): Promise<RecoveryCheck<Allocation>> => {
                const allocation = await this.getAllocation(idOrName);
                return patchShows(allocation as unknown as Node, ops) ? { tookEffect: true, result: allocation } : { tookEffect: false };
            },
        });
    }

    listAllocations(filter: AllocationListFilter = {}): Promise<Allocation[]> {
        return this.list<Allocation>("/v1/allocations", "allocations", { ...filter }, "list allocations");
    }

    async deleteAllocation(idOrName: string): Promise<void> {
        await this.http.send("DELETE", `/v1/allocations/${enc(idOrName)}`, { operation: `delete allocation ${idOrName}`, goneIsSuccess: true });
    }

    // ---- waits (the one polling family; see wait.ts) --------------------------------------------------

    // Node waits look through the process's shared poller: one batched list per tick for every
    // node being waited for on this endpoint, whichever client waits (poller.ts).

    waitForProvisionState(id: string, expected: string | string[], opts: wait.WaitOptions<Node>): Promise<Node> {
        const poller = sharedPoller(this.http.connection);
        return wait.waitForProvisionState(
            () => poller.look(id, this),
            id,
            expected,
            opts,
            (n) => poller.complete(n, this),
        );
    }

    waitForPowerState(id: string, expected: "power on" | "power off", opts: wait.WaitOptions<Node>): Promise<Node> {
        const poller = sharedPoller(this.http.connection);
        return wait.waitForPowerState(
            () => poller.look(id, this),
            id,
            expected,
            opts,
            (n) => poller.complete(n, this),
        );
    }

    waitForAllocation(idOrName: string, opts: wait.WaitOptions<Allocation>): Promise<Allocation> {
        return wait.waitForAllocation(() => this.getAllocation(idOrName), idOrName, opts);
    }

    // ---- helpers ------------------------------------------------------------------------------------

    private async body<T>(method: string, path: string, opts: HttpRequestOptions<T>): Promise<T> {
        const res: HttpResponse<T> = await this.http.send<T>(method, path, opts);
        return res.body;
    }

    private async orUndefinedWhenMissing<T>(get: () => Promise<T>): Promise<T | undefined> {
        try {
            return await get();
        } catch (err) {
            if (err instanceof IronicError && err.status === 404) return undefined;
            throw err;
        }
    }

    /** GET a collection, following Ironic's `next` links until the last page. */
    private async list<T>(path: string, key: string, query: HttpRequestOptions["query"], operation: string): Promise<T[]> {
        const items: T[] = [];
        const seen = new Set<string>();
        const maxPages = this.http.connection.maxListPages;
        let res = await this.http.send<Record<string, any>>("GET", path, { query, operation });
        for (let pages = 1; ; pages++) {
            items.push(...((res.body?.[key] as T[]) ?? []));
            const next = res.body?.next as string | undefined;
            if (!next) return items;
            // A `next` chain that repeats or does not end would hold the provider (and Ironic) forever.
            if (seen.has(next))
                throw new IronicError(`${operation} failed: Ironic's next link ${next} repeats an earlier page (after ${pages} pages)`, { operation });
            if (pages >= maxPages) {
                throw new IronicError(
                    `${operation} failed: still more pages after ${pages} (${items.length} rows); pulumi-metal3 follows at most ${maxPages} pages of one list`,
                    { operation },
                );
            }
            seen.add(next);
            res = await this.http.send<Record<string, any>>("GET", next, { operation: `${operation} (next page)` });
        }
    }
}

/**
 * The object found after a lost create carries every `extra` field the create sent (the owner
 * record, keyed digests): it is that create's doing, not an object someone else made under the
 * same name.
 */
function carriesWhatWasSent(sent: Record<string, unknown> | undefined, found: Record<string, unknown> | undefined): boolean {
    return Object.entries(sent ?? {}).every(([k, v]) => sameJson(found?.[k], v));
}
