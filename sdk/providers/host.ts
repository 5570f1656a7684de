// The BareMetalHost dynamic provider's handlers: Pulumi glue only. Each takes plain inputs (the
// engine has already unwrapped secrets) plus the connection read from stack config, and loads
// everything else itself, so the serialized provider object stays a few `require` calls.
// Lifecycle decisions: provider/host/lifecycle.ts (and day-two.ts, owner-rekey.ts); what an
// update will do: provider/host/plan.ts predictUpdate, worded by ./host-preview.ts; Ironic calls:
// provider/host/converge.ts.
import type * as pulumi from "@pulumi/pulumi";
import { IronicClient, isUnreachable } from "../../provider/ironic";
import { publicErrorText } from "../../provider/ironic/errors";
import type { Node } from "../../provider/ironic/types";
import { converge, findExistingNode, removeHost } from "../../provider/host/converge";
import { fromDetached, refreshReadsNode } from "../../provider/host/day-two";
import {
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
import { sameJson } from "../../provider/canonical-json";
import { migrateTimeouts, sameTimeouts } from "../../provider/duration";
import { hardwareDetails, HardwareDetails } from "../../provider/host/hardware";
import { EXTRA } from "../../provider/host/lifecycle";
import { readRecord } from "../../provider/host/records";
import { ownVerdict } from "../../provider/host/takeover";
import { ownerRecordStale, refreshedOwnerKeyId, rekeyOnly, rekeyPatch } from "../../provider/host/owner-rekey";
import { ownerKeyId, ownerKeys } from "../../provider/owner-record";
import type { HostOwner } from "../../provider/host/spec";
import { stackOwnerKey } from "../owner";
import { ChangePlan, identityChanges, NODE_IDENTITY_KEYS, predictUpdate } from "../../provider/host/plan";
import type { PreviewContract, RecordedDigests } from "../../provider/host/preview-inputs";
import { dayTwoWords, wipeWords } from "./host-preview";
import { recordedDataImage } from "../../provider/host/data-image";
import { metal3State, Metal3ProvisioningState } from "../../provider/host/states";
import { bmcDrift, bmcProfile, observedBmcAddress } from "../../provider/host/bmc";
import { bareMetalHostInputsSchema, checkFailures } from "../schemas/baremetalhost";
import { containsUnknown, IronicConnectionInput, isUnknown } from "../schemas/common";
import { connectionCheck, DeployImageConfig, mergeConnection } from "../connection";
import { warnOnce } from "./engine-warning";
import { engineError, PROVIDER_KEY } from "./errors";
import { Logger, stderrLogger } from "../../provider/log";
import { inputNames, resourceEntry } from "../schema/resources";
import { checkAdoption } from "./adoption";
import { firmwarePlan, firmwareProblems, registryOf, reportedSettings, type FirmwareRegistryEntry } from "../../provider/host/firmware";

/**
 * Keyed digests (HMACs) of the secret inputs: enough to notice a change, useless to recover or
 * test guesses of the value without `key`. The whole object is a secret output (state encrypts
 * it); `key` also keys the fingerprints on the Ironic node. State written by older releases has
 * `salt` and salted sha256 digests instead: still compared, and replaced on the next update.
 */
export interface SecretDigests extends RecordedDigests {
    /**
     * Key id of the owner record's MAC on the node (provider/owner-record.ts), as last written or
     * seen by refresh ("unverified" when the node's record does not verify). A state without it
     * (releases before keyed records) or with another id than the current key's (the stack's
     * ownerKey set or changed) makes the next diff an update that writes the keyed record: an
     * Ironic `extra` patch, nothing else.
     */
    ownerKeyId?: string;
}

/** Inputs echoed into outputs: everything but the secrets (which appear as digests only). */
export type PublicHostInputs = Omit<PlainHostInputs, "userData" | "networkData" | "metaData" | "bmc"> & {
    bmc: { address: string; username?: string; disableCertificateVerification?: boolean; caFile?: string };
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
    /** Set when the node's deployment record says the last deploy or rebuild never reached Ironic (the next update does it). */
    deploymentPending?: true;
    /** Detached: the deployment record the removed node carried, written on it again at re-attach. */
    detachedDeploymentRecord?: string;
    /** The BIOS settings Ironic reports (passwords left out), when its BIOS interface has any. */
    firmwareSettings?: Record<string, string>;
    /** Their registry (allowed values, bounds, read-only): what the next preview checks `firmware.settings` against. */
    firmwareRegistry?: Record<string, FirmwareRegistryEntry>;
    /** The data image attached to the host's virtual CD (provider/host/data-image.ts). */
    attachedDataImage?: string;
}

function withoutProviderKey<T extends Record<string, unknown>>(v: T): T {
    const { [PROVIDER_KEY]: _ignored, ...rest } = v;
    return rest as T;
}

/**
 * `stack`: the stack-config connection, judged before anything is sent, and used for a look at
 * the node `adoptNode` names (refused at preview when it is someone else's; otherwise what the
 * adoption will change is announced).
 */
export async function check(
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
    stack?: IronicConnectionInput,
    log: Logger = stderrLogger,
): Promise<pulumi.dynamic.CheckResult> {
    const inputs = withoutProviderKey(news);
    const parsed = bareMetalHostInputsSchema.safeParse(inputs);
    const failures = parsed.success ? [] : checkFailures(parsed.error);
    // The connection as it will be used (resource input, else stack config, else environment), judged before anything is sent.
    if (!failures.some((f) => f.property.startsWith("ironic"))) {
        const own = news.ironic && !isUnknown(news.ironic) ? (news.ironic as IronicConnectionInput) : undefined;
        const connection = connectionCheck(own, stack);
        failures.push(...connection.failures);
        for (const w of connection.warnings) await warnOnce(w);
    }
    // A detach needs a node to detach; a new host declared detached would never be enrolled.
    const creating = Object.keys(withoutProviderKey(olds ?? {})).length === 0;
    failures.push(...firmwareFailures(withoutProviderKey(olds ?? {}), inputs));
    if (creating && news.detached === true)
        failures.push({
            property: "detached",
            reason: "a new host cannot start detached: there is no Ironic node to detach yet; create it, then set detached: true",
        });
    if (failures.length) return { inputs: news, failures };
    const adoption = await checkAdoption(withoutProviderKey(olds ?? {}), inputs, stack);
    if (adoption.failure) return { inputs: news, failures: [{ property: "adoptNode", reason: adoption.failure }] };
    if (adoption.announcement) log.warn(`[bmh ${hostLabel(inputs as { name: string; namespace?: string })}] ${adoption.announcement}`);
    // A new host that will not be provisioned: its data image waits (an update's preview says so from its plan).
    const dataImageUrl = (inputs.dataImage as { url?: unknown } | undefined)?.url;
    if (
        creating &&
        typeof dataImageUrl === "string" &&
        !isUnknown(dataImageUrl) &&
        !inputs.image &&
        !inputs.customDeploy &&
        inputs.externallyProvisioned !== true
    ) {
        log.warn(
            `[bmh ${hostLabel(inputs as { name: string; namespace?: string })}] DATA IMAGE ${dataImageUrl} WAITS: the host is not provisioned (no image); it is attached once the host is provisioned, as Metal³ attaches data images only to provisioned hosts`,
        );
    }
    return { inputs: news };
}

/**
 * `firmware.settings` checked against the BIOS registry the last run recorded (outputs
 * firmwareRegistry): a read-only setting, a value not allowed or out of bounds fails the preview,
 * naming the property. Nothing recorded (a new host, a BMC without BIOS): nothing to check yet.
 */
function firmwareFailures(olds: Record<string, unknown>, inputs: Record<string, unknown>): { property: string; reason: string }[] {
    const settings = (inputs.firmware as { settings?: unknown } | undefined)?.settings;
    if (!settings || typeof settings !== "object" || isUnknown(settings)) return [];
    const known = Object.fromEntries(Object.entries(settings as Record<string, unknown>).filter(([, v]) => !isUnknown(v))) as Record<string, string | number>;
    const plan = firmwarePlan(known);
    if (!plan) return [];
    return firmwareProblems(plan.settings, olds.firmwareRegistry as Record<string, FirmwareRegistryEntry> | undefined).map((p) => ({
        property: `firmware.settings.${p.name}`,
        reason: p.message,
    }));
}

async function connect(inputs: { ironic?: unknown }, stack: IronicConnectionInput | undefined): Promise<IronicClient> {
    const own = inputs.ironic && !isUnknown(inputs.ironic) ? (inputs.ironic as IronicConnectionInput) : undefined;
    return IronicClient.connect(mergeConnection(own, stack));
}

function parseInputs(raw: Record<string, unknown>): PlainHostInputs {
    const inputs = withoutProviderKey(raw);
    const parsed = bareMetalHostInputsSchema.safeParse(inputs);
    if (!parsed.success) {
        const failures = checkFailures(parsed.error)
            .map((f) => `${f.property}: ${f.reason}`)
            .join("; ");
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
        ownerKeyId: ownerKeyId(stackOwnerKey() ?? key),
    };
}

function publicInputs(i: PlainHostInputs): PublicHostInputs {
    const { userData: _u, networkData: _n, metaData: _m, bmc, ...rest } = i;
    const { password: _p, ...publicBmc } = bmc as { address: string; password?: string };
    return JSON.parse(JSON.stringify({ ...rest, bmc: publicBmc }));
}

/** The outputs for a node as Ironic showed it (`inventory`: the inspection's, when there is one). */
function stateFrom(i: PublicHostInputs, secretDigests: SecretDigests, node: Node, inventory?: Parameters<typeof hardwareDetails>[1]): BareMetalHostState {
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
        // A plain output: bounded, and masked of anything shaped like a credential.
        errorMessage: publicErrorText(node.last_error),
        lastUpdated: node.updated_at ?? node.created_at,
        driver: node.driver,
        ...(deploymentPending(node) ? { deploymentPending: true as const } : {}),
        ...(recordedDataImage(node) ? { attachedDataImage: recordedDataImage(node) } : {}),
    };
}

function deploymentPending(node: Node): boolean {
    const record = readRecord(node.extra?.[EXTRA.deployment], node);
    return record.pending && !record.accepted;
}

async function stateOf(client: IronicClient, i: PublicHostInputs, secretDigests: SecretDigests, node: Node): Promise<BareMetalHostState> {
    // Only an inspection leaves an inventory (fake inspection never does): skip the call otherwise.
    const inspected = !!node.inspection_finished_at && node.inspect_interface !== "fake";
    const inventory = inspected ? await client.getInventory(node.uuid).catch(() => undefined) : undefined;
    return withFirmware(client, node, stateFrom(i, secretDigests, node, inventory));
}

/**
 * The BIOS settings and registry Ironic reports, added to `state`; only where a BIOS interface
 * reads them (not no-bios): one GET per host. Also on a failed update's state, so the next
 * preview still checks firmware.settings against the registry.
 */
async function withFirmware(client: IronicClient, node: Node, state: BareMetalHostState): Promise<BareMetalHostState> {
    if (node.bios_interface && node.bios_interface !== "no-bios") {
        const bios = await client.getBiosSettings(node.uuid).catch(() => undefined);
        const registry = bios && registryOf(bios);
        if (bios && bios.length) Object.assign(state, { firmwareSettings: reportedSettings(bios), ...(registry ? { firmwareRegistry: registry } : {}) });
    }
    return state;
}

/** What a create/update learned of its node while converging, for the state of a failed one. */
interface Progress {
    uuid?: string;
    /** The node as last shown by Ironic. */
    node?: Node;
    /** The steps carried out (waits and refusals are not changes). */
    acted: boolean;
    /** A deploy was started after `node` was last seen. */
    deployStarted: boolean;
}

/**
 * A create/update that failed after the node exists, whatever the error (Ironic gone, a client
 * error, a deadline, a bug): the engine keeps the resource, partially created, with these
 * properties instead of forgetting the node, and the next `up` updates it. The properties hold
 * the inputs as given (else the next diff sees name and namespace "changed" and plans a replace
 * that would wipe the very node) and `__provider` (else the engine cannot update or delete it),
 * and are built without Ironic when Ironic is what failed.
 */
async function initFailure(
    e: unknown,
    client: IronicClient | undefined,
    progress: Progress,
    host: { raw: Record<string, unknown>; pub: PublicHostInputs; secretDigests: SecretDigests },
): Promise<Error> {
    const uuid = progress.uuid;
    if (!uuid) return engineError(e);
    const fresh = client && !isUnreachable(e) ? await client.findNode(uuid).catch(() => undefined) : undefined;
    const node = fresh ?? (progress.node?.uuid === uuid ? progress.node : undefined);
    const raw = host.raw as { bmc?: { password?: unknown }; ironic?: { password?: unknown; token?: unknown } };
    const secrets = [raw.bmc?.password, raw.ironic?.password, raw.ironic?.token].filter((s): s is string => typeof s === "string");
    const message = publicErrorText(e instanceof Error ? e.message : String(e), secrets);
    const state: BareMetalHostState = node
        ? {
              ...(fresh && client
                  ? await withFirmware(client, fresh, stateFrom(host.pub, host.secretDigests, fresh))
                  : stateFrom(host.pub, host.secretDigests, node)),
              errorMessage: message,
          }
        : {
              // Enrolled or adopted, then never seen: nothing to say of it but its name.
              ...host.pub,
              secretDigests: host.secretDigests,
              nodeUuid: uuid,
              nodeName: hostLabel(host.pub),
              provisioningState: "",
              ironicProvisionState: "unknown",
              poweredOn: false,
              powerState: null,
              maintenance: false,
              hardware: { source: "properties" },
              errorMessage: message,
              lastUpdated: new Date().toISOString(),
              driver: "",
          };
    // Ironic went away once a deploy was asked for: whether it took is not known, so the state says
    // the disk is being written (a later image change wipes it) and the deployment is pending (the
    // preview announces the reprovision the next update will do or record).
    if (!fresh && progress.deployStarted) Object.assign(state, { provisioningState: "provisioning", deploymentPending: true });
    return engineError(e, { id: uuid, properties: { ...state, [PROVIDER_KEY]: host.raw[PROVIDER_KEY] } });
}

async function converged(
    raw: Record<string, unknown>,
    stack: IronicConnectionInput | undefined,
    existingUuid: string | undefined,
    digestKey: string,
    op: "create" | "update",
    deployImageDefaults: DeployImageConfig | undefined,
    deadlineMs: number | undefined,
    log: Logger,
    previous?: Record<string, unknown>,
) {
    const inputs = parseInputs(raw);
    const label = hostLabel(inputs);
    const pub = publicInputs(inputs);
    const secretDigests = digests(inputs, digestKey);
    const progress: Progress = { uuid: existingUuid, acted: false, deployStarted: false };
    let client: IronicClient | undefined;
    try {
        client = await connect(inputs, stack);
        const spec = hostSpecFromInputs(inputs, { apiVersion: client.apiVersion, digestKey, deployImageDefaults, ownerKey: stackOwnerKey() });
        // Detached by the last run (provider/host/day-two.ts fromDetached): still detached and its
        // node gone, the state keeps what the detach recorded, with the new inputs.
        const detachedBefore = fromDetached(previous, existingUuid, spec);
        if (detachedBefore?.stays && !(await client.findNode(existingUuid!)))
            return { id: existingUuid!, outs: clean({ ...recordedOnly(previous!), ...pub, secretDigests }) as BareMetalHostState };
        const reattach = detachedBefore?.reattach;
        if (!progress.uuid) {
            // A node found here is taken over only once converge starts on it (a refusal below is not ours to record).
            const found = (await findExistingNode(client, spec, inputs.adoptNode as string | undefined))?.uuid;
            if (found) log.warn(`[bmh ${label}] adopting existing Ironic node ${found}`);
            progress.uuid = found;
        }
        const { node, detached } = await converge(client, spec, progress.uuid, {
            label,
            reattach,
            log: (line) => log.info(line),
            timeouts: phaseTimeouts(inputs.timeouts),
            overallMs: deadlineMs ?? operationTimeoutMs(inputs.timeouts, op),
            onNode: (uuid, seen) => {
                progress.uuid = uuid;
                if (seen) Object.assign(progress, { node: seen, deployStarted: false });
            },
            onStep: (action) => {
                if (action.kind !== "wait" && action.kind !== "fail") progress.acted = true;
                if (action.kind === "deploy") progress.deployStarted = true;
            },
        });
        if (detached) {
            // The node is gone; the state says how the server was left (and what to write back at re-attach).
            const last = node
                ? stateFrom(pub, secretDigests, { ...node, maintenance: false, maintenance_reason: null })
                : ({ ...recordedOnly(previous ?? {}), ...pub, secretDigests } as BareMetalHostState);
            const record = node?.extra?.[EXTRA.deployment];
            return { id: existingUuid!, outs: clean({ ...last, ...(typeof record === "string" ? { detachedDeploymentRecord: record } : {}) }) };
        }
        return { id: node.uuid, outs: clean(await stateOf(client, pub, secretDigests, node)) };
    } catch (e) {
        // An update that changed nothing yet keeps its previous state, and the next preview still
        // shows every change it will make (and what it would wipe).
        if (op === "update" && !progress.acted) throw engineError(e);
        // A re-attach that failed before its node was seen in Ironic: the state stays detached, so the
        // next run re-attaches again (and goes on with the node if the enrol did take effect).
        if (op === "update" && previous?.detached === true && !declaresDetached(raw) && !progress.node) throw engineError(e);
        throw await initFailure(e, client, progress, { raw, pub, secretDigests });
    } finally {
        await client?.close();
    }
}

/** The outputs of a previous state without its echoed inputs (the new inputs replace them whole). */
function recordedOnly(previous: Record<string, unknown>): Record<string, unknown> {
    const out = { ...withoutProviderKey(previous) };
    for (const k of PUBLIC_INPUT_KEYS) delete out[k];
    return out;
}

function declaresDetached(raw: Record<string, unknown>): boolean {
    return raw.detached === true;
}

/**
 * `deployImages`: the agent image URLs from stack config (pulumi-metal3:deployKernel etc.).
 * `deadlineMs`: the whole operation's deadline when the engine sets one (the plugin's
 * `customTimeouts`), else `timeouts.create` (and update/delete likewise).
 */
export async function create(
    inputs: Record<string, unknown>,
    stack?: IronicConnectionInput,
    deployImages?: DeployImageConfig,
    deadlineMs?: number,
    log: Logger = stderrLogger,
): Promise<pulumi.dynamic.CreateResult> {
    return converged(inputs, stack, undefined, newDigestKey(), "create", deployImages, deadlineMs, log);
}

export async function update(
    id: string,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
    stack?: IronicConnectionInput,
    deployImages?: DeployImageConfig,
    deadlineMs?: number,
    log: Logger = stderrLogger,
): Promise<pulumi.dynamic.UpdateResult> {
    // The key stays for the resource's life; state from before keyed digests gets one now.
    const key = (olds.secretDigests as SecretDigests | undefined)?.key ?? newDigestKey();
    // Nothing declared changed, only the owner record's key (an earlier release's plain record, the
    // stack's ownerKey set or changed): the preview said "an Ironic extra patch, nothing else", so
    // that is all this update does, whatever else the node may have drifted to meanwhile.
    const declared = olds.deploymentPending === true ? undefined : await diff(id, olds, news, SILENT).catch(() => undefined);
    if (rekeyOnly(declared?.changed, olds)) {
        return { outs: await rekeyOwnerRecord(id, news, stack, key, log) };
    }
    const { outs } = await converged(news, stack, id, key, "update", deployImages, deadlineMs, log, withoutProviderKey(olds));
    return { outs };
}

const SILENT: Logger = { info: () => {}, warn: () => {} };

/** Writes the keyed owner record on the node (provider/owner-record.ts), an Ironic extra patch and nothing else. */
async function rekeyOwnerRecord(id: string, raw: Record<string, unknown>, stack: IronicConnectionInput | undefined, key: string, log: Logger) {
    const inputs = parseInputs(raw);
    const client = await connect(inputs, stack);
    try {
        const spec = hostSpecFromInputs(inputs, { apiVersion: client.apiVersion, digestKey: key, ownerKey: stackOwnerKey() });
        let node = await client.getNode(id);
        const ops = rekeyPatch(spec, node);
        if (ops.length) {
            log.info(`[bmh ${hostLabel(inputs)}] keying the owner record (${ops.map((o) => o.path).join(", ")})`);
            node = await client.patchNode(id, ops);
        }
        return clean(await stateOf(client, publicInputs(inputs), digests(inputs, key), node));
    } finally {
        await client.close();
    }
}

export async function read(
    id: string,
    props: Record<string, unknown>,
    stack?: IronicConnectionInput,
    log: Logger = stderrLogger,
): Promise<pulumi.dynamic.ReadResult> {
    // Detached: the node was removed on purpose; the host is still declared (re-attach brings it back).
    if (!refreshReadsNode(props)) return { id, props, inputs: pickPublicInputs(withoutProviderKey(props)) as unknown as Record<string, unknown> };
    const client = await connect(props, stack);
    try {
        const node = await client.findNode(id);
        if (!node) return { id: "", props: {} };
        const old = withoutProviderKey(props) as unknown as BareMetalHostState;
        const pub: PublicHostInputs = { ...pickPublicInputs(old as unknown as Record<string, unknown>) };
        // Drift the program should see and correct: power changed out of band, edits to node fields.
        // `online` only governs provisioned hosts (available ones always wait powered off), so
        // only there does the power state say what `online` is. A pool host claimed by a Machine
        // (an allocation, no image of its own) is powered by the Machine (lifecycle.ts
        // provisioningStep): its power is no drift of the host's.
        const machineOwnsPower = Boolean(node.allocation_uuid) && !pub.image && !pub.customDeploy && !pub.externallyProvisioned;
        if (node.provision_state === "active" && !node.target_power_state && !machineOwnsPower) {
            if (node.power_state === "power on") pub.online = true;
            else if (node.power_state === "power off") pub.online = false;
        }
        // Node fields the program sets: reported only when they differ from what the program
        // (with its defaults) asked for, so an untouched host shows no drift.
        if ((node.description ?? undefined) !== pub.description) pub.description = node.description ?? undefined;
        if (node.resource_class && node.resource_class !== (pub.resourceClass ?? DEFAULT_RESOURCE_CLASS)) pub.resourceClass = node.resource_class;
        // The BMC pointed elsewhere out of band (Ironic would send the password there): reported as
        // the address (and user) the node now has, so the next preview shows the change back.
        const oldBmc = pub.bmc as PublicHostInputs["bmc"] | undefined;
        if (oldBmc && typeof oldBmc.address === "string") {
            const declared = bmcProfileOrUndefined(oldBmc);
            if (declared && node.driver === declared.driver && bmcDrift(declared, node.driver_info).length) {
                const userKey = Object.keys(declared.driverInfo).find((k) => k.endsWith("_username"));
                const username = userKey ? node.driver_info?.[userKey] : undefined;
                pub.bmc = { ...oldBmc, address: observedBmcAddress(oldBmc.address, node.driver_info), ...(typeof username === "string" ? { username } : {}) };
                log.warn(`[bmh ${hostLabel(pub as { name: string; namespace?: string })}] BMC drift: ${bmcDrift(declared, node.driver_info).join("; ")}`);
            }
        }
        const labels = node.extra?.[EXTRA.labels];
        if (labels && typeof labels === "object" && !sameJson(labels, pub.labels ?? {})) pub.labels = labels as Record<string, string>;
        if (Array.isArray(node.traits) && !sameJson([...node.traits].sort(), [...((pub.traits as string[] | undefined) ?? [])].sort())) {
            pub.traits = [...node.traits];
        }
        // Whether the node still carries this host's keyed owner record (provider/host/owner-rekey.ts).
        // An import (no state yet: `pulumi import` reads with empty properties) records nothing on
        // the node, as promised (docs/PLUGIN.md): the record is written by its first real update.
        const secrets = old.secretDigests ?? { key: newDigestKey() };
        const owner = (props.owner ?? undefined) as HostOwner | undefined;
        const verdict = owner ? ownVerdict({ owner, ownerKeys: ownerKeys(stackOwnerKey(), secrets.key), nodeName: node.name ?? "" }, node) : "other";
        const recordKeyId = refreshedOwnerKeyId(
            { importing: old.secretDigests === undefined, hasOwner: !!owner, verdict, recorded: secrets, stackKey: stackOwnerKey() },
            node,
        );
        const outs = await stateOf(client, clean(pub), { ...secrets, ownerKeyId: recordKeyId }, node);
        return { id: node.uuid, props: clean(outs), inputs: clean(pub) };
    } finally {
        await client.close();
    }
}

/** Drops undefined fields: the dynamic host's protobuf Struct rejects them ("Unexpected struct type"). */
function clean<T>(v: T): T {
    return JSON.parse(JSON.stringify(v));
}

/**
 * The inputs echoed into outputs, compared by diff and read back by refresh: the contract's inputs
 * (sdk/schema/resources.ts) but those withheld whole (config drive data: digests only) and the
 * owner record (stamped by the SDK, compared on the node by the lifecycle, not here).
 */
const PUBLIC_INPUT_KEYS: readonly string[] = inputNames("BareMetalHost").filter(
    (k) => k !== "owner" && !resourceEntry("BareMetalHost").withheldInputs.includes(k),
);

function pickPublicInputs(state: Record<string, unknown>): PublicHostInputs {
    const out: Record<string, unknown> = {};
    for (const k of PUBLIC_INPUT_KEYS) if (state[k] !== undefined) out[k] = state[k];
    // State of earlier releases holds timeouts as minutes: read back in today's form.
    if (out.timeouts !== undefined) out.timeouts = migrateTimeouts(out.timeouts, "minutes");
    return out as PublicHostInputs;
}

/**
 * Deletes from whatever state the engine holds, a partial one included: every property but the
 * id may be missing (a state recorded by an older version after a failed create had none).
 */
export async function remove(
    id: string,
    props: Record<string, unknown>,
    stack?: IronicConnectionInput,
    deadlineMs?: number,
    log: Logger = stderrLogger,
): Promise<void> {
    const label = typeof props.name === "string" ? hostLabel(props as { name: string; namespace?: string }) : `node ${id}`;
    // Detached: its node is already gone from Ironic; the server is left as it is (as BMO deletes a detached host).
    if (props.detached === true) {
        log.info(`[bmh ${label}] detached: no Ironic node to delete; the server is left as it is`);
        return;
    }
    let client: IronicClient | undefined;
    try {
        client = await connect(props, stack);
        await removeHost(
            client,
            {
                disablePowerOff: props.disablePowerOff === true,
                externallyProvisioned: props.externallyProvisioned === true,
                automatedCleaningMode: props.automatedCleaningMode === "disabled" ? "disabled" : "metadata",
            },
            id,
            {
                label,
                log: (line) => log.info(line),
                timeouts: phaseTimeouts(props.timeouts as never),
                overallMs: deadlineMs ?? operationTimeoutMs(props.timeouts as never, "delete"),
            },
        );
    } catch (e) {
        throw engineError(e);
    } finally {
        await client?.close();
    }
}
export { remove as delete };

// ---------------------------------------------------------------------------------------------
// diff: the update plan made visible at preview. Which properties changed is a comparison of
// inputs; what the update will do with them (wipe or not, where the host ends) is asked of the
// lifecycle itself (provider/host/plan.ts), on the node as the last run recorded it.

/** Inputs withheld whole from the outputs (their digests are in secretDigests), per the contract. */
const SECRET_KEYS = resourceEntry("BareMetalHost").withheldInputs.filter((p) => !p.includes(".")) as ("userData" | "networkData" | "metaData")[];

/** How the preview reads this resource's inputs (provider/host/preview-inputs.ts): the contract's, and Pulumi's unknown. */
const PREVIEW_CONTRACT: PreviewContract = { publicInputKeys: PUBLIC_INPUT_KEYS, secretKeys: SECRET_KEYS, unknown: isUnknown };

export interface HostDiff extends pulumi.dynamic.DiffResult {
    /** Properties with in-place changes (for the preview message and tests). */
    changed: string[];
    /** "REPROVISION (wipe)|why" / "DEPROVISION (wipe)|why" / "POSSIBLY REPROVISION (wipe)|why" when the update wipes this host (host-preview.ts wipeWords). */
    reprovision?: string;
    /** The lifecycle steps the update will take (absent for a replace or no change). */
    plan?: ChangePlan;
}

export async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>, log: Logger = stderrLogger): Promise<HostDiff> {
    const n = withoutProviderKey(news);
    // Which changes need a new Ironic node is the lifecycle's answer (plan.ts identityChanges).
    const { replaces, changed } = identityChanges(olds, n, isUnknown);
    // BMC: address (scheme included: Ironic switches the driver in place) and credentials are node updates.
    const oldBmc = (olds.bmc ?? {}) as Record<string, unknown>;
    const newBmc = n.bmc as Record<string, unknown> | string | undefined;
    if (isUnknown(newBmc)) changed.push("bmc");
    else if (newBmc && typeof newBmc === "object") {
        for (const k of ["address", "username", "disableCertificateVerification", "caFile"]) if (!sameJson(oldBmc[k], newBmc[k])) changed.push(`bmc.${k}`);
        if (secretChanged(olds, "bmcPassword", newBmc.password)) changed.push("bmc.password");
    }
    // Everything else; secrets compared by salted digest.
    const skip = new Set<string>([...NODE_IDENTITY_KEYS, "bmc", ...SECRET_KEYS]);
    for (const k of PUBLIC_INPUT_KEYS) {
        if (skip.has(k)) continue;
        // Timeouts by what they mean: an earlier release's `create: 30` (minutes) is today's "30m".
        const same = k === "timeouts" ? sameTimeouts(olds[k], n[k], "minutes") : sameJson(olds[k], n[k]);
        if (!same) changed.push(k);
    }
    for (const k of SECRET_KEYS) if (secretChanged(olds, k, n[k])) changed.push(k);
    // The owner record on the node is not keyed (yet) under the key this stack now writes with:
    // the update writes it (provider/owner-record.ts), an Ironic extra patch and nothing else.
    if (ownerRecordStale(olds.secretDigests as SecretDigests | undefined, stackOwnerKey())) changed.push("ownerRecord");

    const label = hostLabel({ name: String(isUnknown(n.name) ? olds.name : n.name), namespace: (n.namespace ?? olds.namespace) as string | undefined });
    if (changed.includes("ownerRecord")) log.info(`[bmh ${label}] the owner record on the node will be (re)keyed: an Ironic extra patch, nothing else`);
    if (replaces.length) {
        log.warn(`[bmh ${label}] WILL REPLACE (new Ironic node; the old one is deprovisioned and deleted): ${replaces.join(", ")} changed`);
        return { changes: true, replaces, changed, deleteBeforeReplace: true };
    }
    // A deploy that never reached Ironic is redone by the next update even when no input changed.
    if (!changed.length && olds.deploymentPending !== true) return { changes: false, replaces, changed };
    // What the update will do is the lifecycle's answer (provider/host/plan.ts); here it is only worded.
    const predicted = predictUpdate(PREVIEW_CONTRACT, olds, n, changed);
    if (predicted.refusal) throw new Error(`host ${label}: this change cannot be applied: ${predicted.refusal}`);
    const wipe = wipeWords(predicted);
    if (wipe) log.warn(`[bmh ${label}] WILL ${wipe.what} host ${label}: ${wipe.why}`);
    const dayTwo = predicted.plan && dayTwoWords(predicted.plan, label);
    if (dayTwo && !wipe) log.warn(`[bmh ${label}] ${dayTwo}`);
    return { changes: true, replaces, changed, reprovision: wipe && `${wipe.what}|${wipe.why}`, plan: predicted.plan, deleteBeforeReplace: false };
}

function secretChanged(olds: Record<string, unknown>, key: keyof Omit<SecretDigests, "salt" | "key">, value: unknown): boolean {
    if (isUnknown(value) || containsUnknown(value)) return true;
    const d = olds.secretDigests as SecretDigests | undefined;
    if (!d) return value !== undefined;
    if (d.key) return secretDigest(d.key, value) !== d[key];
    // State from before keyed digests: compared in its own form, so an upgrade shows no diff.
    return d.salt !== undefined ? legacySecretDigest(d.salt, value) !== d[key] : value !== undefined;
}

/** The declared BMC's profile (the password does not matter: Ironic masks it), undefined when unusable. */
function bmcProfileOrUndefined(bmc: PublicHostInputs["bmc"]) {
    try {
        return bmcProfile(bmc);
    } catch {
        return undefined;
    }
}
