// The BareMetalHost dynamic provider's handlers: Pulumi glue only. Each takes plain inputs (the
// engine has already unwrapped secrets) plus the connection read from stack config, and loads
// everything else itself, so the serialized provider object stays a few `require` calls.
// Lifecycle decisions: provider/host/lifecycle.ts; Ironic calls: provider/host/converge.ts.
import type * as pulumi from "@pulumi/pulumi";
import { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { converge, findExistingNode, HostError, removeHost } from "../../provider/host/converge";
import {
    canonicalJson,
    DEFAULT_RESOURCE_CLASS,
    hostSpecFromInputs,
    legacySecretDigest,
    newDigestKey,
    nodeNameFor,
    operationTimeoutMs,
    phaseTimeouts,
    PlainHostInputs,
    secretDigest,
} from "../../provider/host/desired";
import { hardwareDetails, HardwareDetails } from "../../provider/host/hardware";
import { EXTRA } from "../../provider/host/lifecycle";
import { metal3State, Metal3ProvisioningState } from "../../provider/host/states";
import { bmcProfile } from "../../provider/host/bmc";
import { bareMetalHostInputsSchema, checkFailures } from "../schemas/baremetalhost";
import { containsUnknown, IronicConnectionInput, isUnknown } from "../schemas/common";
import { mergeConnection } from "../connection";

/** The dynamic host adds this key to inputs and outputs; it is not ours to validate or echo. */
const PROVIDER_KEY = "__provider";

/**
 * Keyed digests (HMACs) of the secret inputs: enough to notice a change, useless to recover or
 * test guesses of the value without `key`. The whole object is a secret output (state encrypts
 * it); `key` also keys the fingerprints on the Ironic node. State written by older releases has
 * `salt` and salted sha256 digests instead: still compared, and replaced on the next update.
 */
export interface SecretDigests {
    key?: string;
    /** Older releases only. */
    salt?: string;
    bmcPassword?: string;
    userData?: string;
    networkData?: string;
    metaData?: string;
}

/** Inputs echoed into outputs: everything but the secrets (which appear as digests only). */
export type PublicHostInputs = Omit<PlainHostInputs, "userData" | "networkData" | "metaData" | "bmc"> & {
    bmc: { address: string; username?: string; disableCertificateVerification?: boolean };
};

export interface BareMetalHostState extends PublicHostInputs {
    secretDigests: SecretDigests;
    nodeUuid: string;
    nodeName: string;
    /** Metal³ provisioning state (registering, inspecting, preparing, available, provisioning, provisioned, ...). */
    provisioningState: Metal3ProvisioningState;
    ironicProvisionState: string;
    poweredOn: boolean;
    powerState: string | null;
    maintenance: boolean;
    hardware: HardwareDetails;
    errorMessage: string;
    lastUpdated: string;
    driver: string;
}

function withoutProviderKey<T extends Record<string, unknown>>(v: T): T {
    const { [PROVIDER_KEY]: _ignored, ...rest } = v;
    return rest as T;
}

export async function check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    const parsed = bareMetalHostInputsSchema.safeParse(withoutProviderKey(news));
    if (parsed.success) return { inputs: news };
    return { inputs: news, failures: checkFailures(parsed.error) };
}

async function connect(inputs: { ironic?: unknown }, stack: IronicConnectionInput | undefined): Promise<IronicClient> {
    const own = inputs.ironic && !isUnknown(inputs.ironic) ? (inputs.ironic as IronicConnectionInput) : undefined;
    return IronicClient.connect(mergeConnection(own, stack));
}

function parseInputs(raw: Record<string, unknown>): PlainHostInputs {
    const inputs = withoutProviderKey(raw);
    const parsed = bareMetalHostInputsSchema.safeParse(inputs);
    if (!parsed.success) {
        const failures = checkFailures(parsed.error).map((f) => `${f.property}: ${f.reason}`).join("; ");
        throw new Error(`invalid BareMetalHost inputs: ${failures}`);
    }
    if (containsUnknown(inputs)) throw new Error("BareMetalHost inputs still contain unknown values");
    return inputs as unknown as PlainHostInputs;
}

function hostLabel(i: { namespace?: string; name: string }): string {
    return nodeNameFor(i.namespace, i.name);
}

function digests(i: PlainHostInputs, key: string): SecretDigests {
    const bmc = i.bmc as { password?: string };
    return {
        key,
        bmcPassword: secretDigest(key, bmc.password),
        userData: secretDigest(key, i.userData),
        networkData: secretDigest(key, i.networkData),
        metaData: secretDigest(key, i.metaData),
    };
}

function publicInputs(i: PlainHostInputs): PublicHostInputs {
    const { userData: _u, networkData: _n, metaData: _m, bmc, ...rest } = i;
    const { password: _p, ...publicBmc } = bmc as { address: string; password?: string };
    return JSON.parse(JSON.stringify({ ...rest, bmc: publicBmc }));
}

async function stateOf(client: IronicClient, i: PublicHostInputs, secretDigests: SecretDigests, node: Node): Promise<BareMetalHostState> {
    // Only an inspection leaves an inventory (fake inspection never does): skip the call otherwise.
    const inspected = !!node.inspection_finished_at && node.inspect_interface !== "fake";
    const inventory = inspected ? await client.getInventory(node.uuid).catch(() => undefined) : undefined;
    return {
        ...i,
        secretDigests,
        nodeUuid: node.uuid,
        nodeName: node.name ?? "",
        provisioningState: metal3State(node, { externallyProvisioned: i.externallyProvisioned === true }),
        ironicProvisionState: node.provision_state,
        poweredOn: node.power_state === "power on",
        powerState: node.power_state,
        maintenance: node.maintenance,
        hardware: hardwareDetails(node, inventory),
        errorMessage: node.last_error ?? "",
        lastUpdated: node.updated_at ?? node.created_at,
        driver: node.driver,
    };
}

/**
 * A create/update that failed after the node exists: the engine keeps the resource (partially
 * created, with these properties) instead of forgetting the node, and the next `up` updates it.
 */
function initFailure(e: unknown, properties: Record<string, unknown> | undefined): Error {
    const err = e instanceof Error ? e : new Error(String(e));
    const uuid = err instanceof HostError ? err.nodeUuid : undefined;
    if (!uuid) return err;
    return Object.assign(new Error(err.message), { id: uuid, properties: properties ?? {}, reasons: [err.message] });
}

async function converged(raw: Record<string, unknown>, stack: IronicConnectionInput | undefined, existingUuid: string | undefined, digestKey: string, op: "create" | "update") {
    const inputs = parseInputs(raw);
    const client = await connect(inputs, stack);
    const label = hostLabel(inputs);
    const pub = publicInputs(inputs);
    const secretDigests = digests(inputs, digestKey);
    try {
        const spec = hostSpecFromInputs(inputs, { apiVersion: client.apiVersion, digestKey });
        let uuid = existingUuid;
        if (!uuid) uuid = (await findExistingNode(client, spec, inputs.adoptNode as string | undefined))?.uuid;
        if (uuid && !existingUuid) console.error(`[bmh ${label}] adopting existing Ironic node ${uuid}`);
        try {
            const { node } = await converge(client, spec, uuid, { label, timeouts: phaseTimeouts(inputs.timeouts), overallMs: operationTimeoutMs(inputs.timeouts, op) });
            return { id: node.uuid, outs: clean(await stateOf(client, pub, secretDigests, node)) };
        } catch (e) {
            const nodeUuid = e instanceof HostError ? e.nodeUuid : undefined;
            const node = nodeUuid ? await client.findNode(nodeUuid).catch(() => undefined) : undefined;
            const props = node ? clean({ ...(await stateOf(client, pub, secretDigests, node)), [PROVIDER_KEY]: raw[PROVIDER_KEY] }) : undefined;
            throw initFailure(e, props);
        }
    } finally {
        await client.close();
    }
}

export async function create(inputs: Record<string, unknown>, stack?: IronicConnectionInput): Promise<pulumi.dynamic.CreateResult> {
    return converged(inputs, stack, undefined, newDigestKey(), "create");
}

export async function update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>, stack?: IronicConnectionInput): Promise<pulumi.dynamic.UpdateResult> {
    // The key stays for the resource's life; state from before keyed digests gets one now.
    const key = (olds.secretDigests as SecretDigests | undefined)?.key ?? newDigestKey();
    const { outs } = await converged(news, stack, id, key, "update");
    return { outs };
}

export async function read(id: string, props: Record<string, unknown>, stack?: IronicConnectionInput): Promise<pulumi.dynamic.ReadResult> {
    const client = await connect(props, stack);
    try {
        const node = await client.findNode(id);
        if (!node) return { id: "", props: {} };
        const old = withoutProviderKey(props) as unknown as BareMetalHostState;
        const pub: PublicHostInputs = { ...pickPublicInputs(old as unknown as Record<string, unknown>) };
        // Drift the program should see and correct: power changed out of band, edits to node fields.
        // `online` only governs provisioned hosts (available ones always wait powered off), so
        // only there does the power state say what `online` is.
        if (node.provision_state === "active" && !node.target_power_state) {
            if (node.power_state === "power on") pub.online = true;
            else if (node.power_state === "power off") pub.online = false;
        }
        // Node fields the program sets: reported only when they differ from what the program
        // (with its defaults) asked for, so an untouched host shows no drift.
        if ((node.description ?? undefined) !== pub.description) pub.description = node.description ?? undefined;
        if (node.resource_class && node.resource_class !== (pub.resourceClass ?? DEFAULT_RESOURCE_CLASS)) pub.resourceClass = node.resource_class;
        const labels = node.extra?.[EXTRA.labels];
        if (labels && typeof labels === "object" && canonicalJson(labels) !== canonicalJson(pub.labels ?? {})) pub.labels = labels as Record<string, string>;
        if (Array.isArray(node.traits) && canonicalJson([...node.traits].sort()) !== canonicalJson([...((pub.traits as string[] | undefined) ?? [])].sort())) {
            pub.traits = [...node.traits];
        }
        const outs = await stateOf(client, clean(pub), old.secretDigests ?? { key: newDigestKey() }, node);
        return { id: node.uuid, props: clean(outs), inputs: clean(pub) };
    } finally {
        await client.close();
    }
}

/** Drops undefined fields: the dynamic host's protobuf Struct rejects them ("Unexpected struct type"). */
function clean<T>(v: T): T {
    return JSON.parse(JSON.stringify(v));
}

const PUBLIC_INPUT_KEYS = [
    "name",
    "namespace",
    "bmc",
    "bootMACAddress",
    "bootMode",
    "online",
    "description",
    "architecture",
    "rootDeviceHints",
    "automatedCleaningMode",
    "inspectionMode",
    "externallyProvisioned",
    "disablePowerOff",
    "image",
    "customDeploy",
    "labels",
    "resourceClass",
    "traits",
    "raid",
    "adoptNode",
    "timeouts",
    "ironic",
] as const;

function pickPublicInputs(state: Record<string, unknown>): PublicHostInputs {
    const out: Record<string, unknown> = {};
    for (const k of PUBLIC_INPUT_KEYS) if (state[k] !== undefined) out[k] = state[k];
    return out as PublicHostInputs;
}

export async function remove(id: string, props: Record<string, unknown>, stack?: IronicConnectionInput): Promise<void> {
    const client = await connect(props, stack);
    const label = props.name ? hostLabel(props as { name: string; namespace?: string }) : id;
    try {
        await removeHost(
            client,
            {
                disablePowerOff: props.disablePowerOff === true,
                externallyProvisioned: props.externallyProvisioned === true,
                automatedCleaningMode: props.automatedCleaningMode === "disabled" ? "disabled" : "metadata",
            },
            id,
            { label, timeouts: phaseTimeouts(props.timeouts as never), overallMs: operationTimeoutMs(props.timeouts as never, "delete") },
        );
    } finally {
        await client.close();
    }
}
export { remove as delete };

// ---------------------------------------------------------------------------------------------
// diff: the update plan made visible at preview.

/** Changing these needs a new Ironic node. */
const REPLACE_KEYS = ["name", "namespace"] as const;
/** Changing these on a provisioned host reprovisions (wipes) it. */
const DEPLOYMENT_KEYS = ["image", "customDeploy", "rootDeviceHints", "bootMode"] as const;
const SECRET_DEPLOYMENT_KEYS = ["userData", "networkData", "metaData"] as const;

function equalJson(a: unknown, b: unknown): boolean {
    return canonicalJson(a) === canonicalJson(b);
}

function driverOf(address: unknown): string | undefined {
    if (typeof address !== "string" || isUnknown(address)) return undefined;
    try {
        return bmcProfile({ address }).driver;
    } catch {
        return undefined;
    }
}

export interface HostDiff extends pulumi.dynamic.DiffResult {
    /** Properties with in-place changes (for the preview message and tests). */
    changed: string[];
    /** Why this host will be wiped, when it will. */
    reprovision?: string;
}

export async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<HostDiff> {
    const n = withoutProviderKey(news);
    const replaces: string[] = [];
    const changed: string[] = [];
    for (const k of REPLACE_KEYS) {
        const oldV = k === "namespace" ? (olds[k] ?? "default") : olds[k];
        const newV = k === "namespace" ? (n[k] ?? "default") : n[k];
        if (!equalJson(oldV, newV)) replaces.push(k);
    }
    // Boot MAC: immutable once set (case-insensitive), as in Metal³. Unknown at preview: assume it changes.
    const oldMac = olds.bootMACAddress as string | undefined;
    const newMac = n.bootMACAddress as string | undefined;
    if (isUnknown(newMac)) {
        if (oldMac) replaces.push("bootMACAddress");
        else changed.push("bootMACAddress");
    } else if ((oldMac ?? "").toLowerCase() !== (newMac ?? "").toLowerCase()) {
        if (oldMac) replaces.push("bootMACAddress");
        else changed.push("bootMACAddress");
    }
    // BMC: another driver is another node; the same driver at a new address or with new credentials is a driver_info patch.
    const oldBmc = (olds.bmc ?? {}) as Record<string, unknown>;
    const newBmc = n.bmc as Record<string, unknown> | string | undefined;
    if (isUnknown(newBmc)) changed.push("bmc");
    else if (newBmc && typeof newBmc === "object") {
        const oldDriver = driverOf(oldBmc.address);
        const newDriver = driverOf(newBmc.address);
        if (oldDriver && newDriver && oldDriver !== newDriver) replaces.push("bmc.address");
        else if (!equalJson(oldBmc.address, newBmc.address)) changed.push("bmc.address");
        if (!equalJson(oldBmc.username, newBmc.username)) changed.push("bmc.username");
        if (!equalJson(oldBmc.disableCertificateVerification, newBmc.disableCertificateVerification)) changed.push("bmc.disableCertificateVerification");
        if (secretChanged(olds, "bmcPassword", newBmc.password)) changed.push("bmc.password");
    }
    // Everything else in place; secrets compared by salted digest.
    const skip = new Set<string>([...REPLACE_KEYS, "bootMACAddress", "bmc", ...SECRET_DEPLOYMENT_KEYS]);
    for (const k of PUBLIC_INPUT_KEYS) {
        if (skip.has(k)) continue;
        if (!equalJson(olds[k], n[k])) changed.push(k);
    }
    for (const k of SECRET_DEPLOYMENT_KEYS) if (secretChanged(olds, k, n[k])) changed.push(k);

    const reprovision = replaces.length ? undefined : reprovisionReason(olds, n, changed);
    const label = hostLabel({ name: String(isUnknown(n.name) ? olds.name : n.name), namespace: (n.namespace ?? olds.namespace) as string | undefined });
    if (replaces.length) console.error(`[bmh ${label}] WILL REPLACE (new Ironic node; the old one is deprovisioned and deleted): ${replaces.join(", ")} changed`);
    else if (reprovision) {
        const [what, why] = reprovision.split("|");
        console.error(`[bmh ${label}] WILL ${what} host ${label}: ${why}`);
    }
    return { changes: replaces.length + changed.length > 0, replaces, changed, reprovision, deleteBeforeReplace: replaces.length > 0 };
}

function secretChanged(olds: Record<string, unknown>, key: keyof Omit<SecretDigests, "salt" | "key">, value: unknown): boolean {
    if (isUnknown(value) || containsUnknown(value)) return true;
    const d = olds.secretDigests as SecretDigests | undefined;
    if (!d) return value !== undefined;
    if (d.key) return secretDigest(d.key, value) !== d[key];
    // State from before keyed digests: compared in its own form, so an upgrade shows no diff.
    return d.salt !== undefined ? legacySecretDigest(d.salt, value) !== d[key] : value !== undefined;
}

/** "REPROVISION (wipe)|image changed" when the update will rebuild or undeploy a provisioned host. */
function reprovisionReason(olds: Record<string, unknown>, n: Record<string, unknown>, changed: string[]): string | undefined {
    const provisioned = ["provisioned", "provisioning"].includes(String(olds.provisioningState)) && olds.externallyProvisioned !== true;
    if (!provisioned) return undefined;
    const deploymentChanges = changed.filter((k) => (DEPLOYMENT_KEYS as readonly string[]).includes(k) || (SECRET_DEPLOYMENT_KEYS as readonly string[]).includes(k));
    if (!deploymentChanges.length) return undefined;
    const unknown = deploymentChanges.filter((k) => containsUnknown(n[k]));
    if (unknown.length === deploymentChanges.length) return `POSSIBLY REPROVISION (wipe)|${unknown.join(", ")} not known until apply`;
    const removed = n.image === undefined && n.customDeploy === undefined;
    if (removed) return "DEPROVISION (wipe)|image removed";
    return `REPROVISION (wipe)|${deploymentChanges.join(", ")} changed`;
}
