// Performs the lifecycle's decisions through the Ironic client: observe → nextAction → do it →
// observe again, under per-phase deadlines, reporting progress. The only place host steps touch
// Ironic (deploy/undeploy details live in provision.ts).
import type { IronicClient } from "../ironic";
import { IronicError, isUnreachable } from "../ironic";
import type { Node, Port } from "../ironic/types";
import { allocationHolder } from "../claim/allocation";
import { EXTRA, HostAction, nextAction, nextDeleteAction, ObservedHost, Phase, DeleteSpec } from "./lifecycle";
import { movedOnByAnotherWriter } from "./maintenance";
import { inspectInterface, ownerExtra } from "./registration";
import { adoptionDecision, takeOverDecision } from "./takeover";
import { deployImage, undeploy } from "./provision";
import type { HostSpec, PhaseTimeouts } from "./spec";
import { capabilitiesWithBootMode } from "./instance";
import { raidCleanSteps } from "./raid";
import { applyFirmware } from "./firmware-apply";
import { agentImagesNeeded, missingAgentImages } from "./bmc";
import { rebootPending, recordOp, requestRecords } from "./day-two";
import { stepText } from "./words";
import { rebootNode, powerOffNode } from "./power";
import { recordedDataImage } from "./data-image";
import { attachDataImage, detachDataImage } from "./vmedia";

/** A failure that names the host, its node, Ironic's state and last_error. Carries the node UUID. */
export class HostError extends Error {
    constructor(
        message: string,
        readonly nodeUuid?: string,
        readonly provisionState?: string,
        readonly lastError?: string,
        /** The failure this one explains (kept so callers can tell "Ironic unreachable" apart). */
        cause?: unknown,
    ) {
        super(message);
        this.name = "HostError";
        if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
    }
}

export interface ConvergeOptions {
    /** `default~node-1`, for messages. */
    label: string;
    timeouts: PhaseTimeouts;
    /** Deadline for the whole operation (ms from now), on top of the per-phase ones. */
    overallMs?: number;
    log?: (msg: string) => void;
    /**
     * Told the node's UUID as soon as it is known (enrolled or adopted), and the node each time a
     * step shows it: a caller whose operation then fails (Ironic gone, a client error) can still
     * record which node it was working on, and in what state it last saw it, without asking Ironic.
     */
    onNode?: (uuid: string, node?: Node) => void;
    /** Told each step before it is carried out. */
    onStep?: (action: HostAction) => void;
    /**
     * Re-attach after a detach: the node is gone from Ironic and is enrolled again under its old
     * UUID, carrying the deployment record and provision state the detach recorded (an active
     * one is adopted, lifecycle.ts).
     */
    reattach?: Reattach;
}

/** What a detach recorded of the node it removed (the resource's state keeps it). */
export interface Reattach {
    uuid: string;
    provisionState: string;
    deploymentRecord?: string;
}

/** Same step on the same state this many times means Ironic is not moving: stop instead of looping. */
const MAX_REPEATS = 3;

function describe(node: Node | undefined): string {
    if (!node) return "no Ironic node";
    return `node ${node.uuid}, Ironic provision state "${node.provision_state}"${node.target_provision_state ? ` (target "${node.target_provision_state}")` : ""}, power "${node.power_state ?? "unknown"}"${node.maintenance ? `, maintenance: ${node.maintenance_reason ?? "yes"}` : ""}, last_error: ${node.last_error ?? "none"}`;
}

export async function observe(client: IronicClient, uuid: string): Promise<ObservedHost | undefined> {
    const node = await client.findNode(uuid);
    if (!node) return undefined;
    return { node, ports: await client.listPorts({ node: node.uuid }) };
}

/**
 * Find-or-enrol's "find": an explicit adoption target, else a node owning a port with the boot
 * MAC, taken over only when it carries this stack's owner record (takeOverDecision; refused
 * before anything is patched). The node BMO would name `<namespace>~<name>` is found by the
 * enrol itself: Ironic refuses a second node with that name, and the enrol step then makes the
 * same decision, which spares a lookup on every new host.
 */
export async function findExistingNode(client: IronicClient, spec: HostSpec, adoptNode?: string): Promise<Node | undefined> {
    if (adoptNode) {
        const node = await client.findNode(adoptNode);
        if (!node) throw new HostError(`host ${spec.nodeName}: adoptNode "${adoptNode}" is not an Ironic node`);
        // Another owner's node, another resource's deployment or a claim: refused untouched unless adoptForce.
        const decision = adoptionDecision(spec, node, await claimOn(client, node));
        if (decision.kind === "fail") throw new HostError(decision.message, undefined, node.provision_state, node.last_error ?? undefined);
        return node;
    }
    if (spec.bootMACAddress) {
        const [port] = await client.listPorts({ address: spec.bootMACAddress });
        if (port) return takeOver(spec, await client.getNode(port.node_uuid), `boot MAC ${spec.bootMACAddress}`);
    }
    return undefined;
}

/** Whose claim the node's allocation is, when it has one (for messages naming the Machine and its owner). */
export async function claimOn(client: IronicClient, node: Node) {
    if (!node.allocation_uuid) return undefined;
    const allocation = await client.findAllocation(node.allocation_uuid).catch(() => undefined);
    return allocation && allocationHolder(allocation);
}

/** The found node, when it is ours to take over; else the refusal (no node UUID: it is not ours to keep in state). */
function takeOver(spec: HostSpec, node: Node, foundBy: string): Node {
    const decision = takeOverDecision(spec, node, foundBy);
    if (decision.kind === "fail") throw new HostError(decision.message, undefined, node.provision_state, node.last_error ?? undefined);
    return node;
}

export async function enrolNode(client: IronicClient, spec: HostSpec, reattach?: Reattach): Promise<Node> {
    const interfaces = Object.fromEntries(Object.entries(spec.bmc.interfaces).filter(([, v]) => v !== undefined));
    const inspect = inspectInterface(spec);
    if (inspect) interfaces.inspect_interface = inspect;
    const properties: Record<string, unknown> = { capabilities: capabilitiesWithBootMode(undefined, spec.bootMode) };
    if (spec.architecture) properties.cpu_arch = spec.architecture;
    return client.createNode({
        name: spec.nodeName,
        driver: spec.bmc.driver,
        ...interfaces,
        driver_info: spec.bmc.driverInfo,
        properties,
        resource_class: spec.resourceClass,
        automated_clean: spec.automatedCleaningMode !== "disabled",
        ...(spec.description !== undefined ? { description: spec.description } : {}),
        extra: {
            [EXTRA.managed]: "true",
            [EXTRA.bmcFingerprint]: spec.bmcFingerprint,
            [EXTRA.labels]: spec.labels,
            ...ownerExtra(spec),
            ...requestRecords(spec),
            ...reattachExtra(reattach),
        },
        ...(reattach ? { uuid: reattach.uuid } : {}),
    } as Parameters<IronicClient["createNode"]>[0]);
}

/** The marks a re-enrolled node carries: the provision state it had, and the deployment it runs. */
function reattachExtra(reattach: Reattach | undefined): Record<string, string> {
    if (!reattach) return {};
    const out: Record<string, string> = {};
    if (reattach.provisionState === "active") out[EXTRA.reattach] = "active";
    if (reattach.deploymentRecord !== undefined) out[EXTRA.deployment] = reattach.deploymentRecord;
    return out;
}

/** Ironic refused the driver at enrol ("No conductor service registered which supports driver X"): say which ones it has. */
async function driverNotOffered(client: IronicClient, spec: HostSpec, label: string, e: IronicError): Promise<HostError> {
    const offered = ((await client.listDriverNames().catch(() => undefined)) ?? []).sort();
    return new HostError(
        `host ${label}: this Ironic offers no hardware type "${spec.bmc.driver}" (needed by a ${spec.bmc.type}:// BMC address); ` +
            `it offers: ${offered.join(", ") || "(could not list them)"}. Enable "${spec.bmc.driver}" in Ironic's enabled_hardware_types ` +
            `(with its interfaces), or use an address scheme of an offered type (e.g. redfish:// for a Redfish BMC). Ironic said: ${e.faultstring ?? e.message}`,
    );
}

function agentProfile(node: Node) {
    return { driver: node.driver, supportsIsoRamdisk: /virtual-media/.test(node.boot_interface ?? "") };
}

class Runner {
    private readonly start = Date.now();
    private readonly seen = new Map<string, number>();
    constructor(
        private readonly client: IronicClient,
        private readonly opts: ConvergeOptions,
    ) {}

    log(msg: string) {
        const s = Math.round((Date.now() - this.start) / 1000);
        (this.opts.log ?? ((m: string) => console.error(m)))(`[bmh ${this.opts.label}] ${msg} (${s}s)`);
    }

    /** Per-phase deadline, capped by what is left of the whole operation. */
    timeout(phase: Phase): number {
        const phaseMs = this.opts.timeouts[phase];
        if (this.opts.overallMs === undefined) return phaseMs;
        // At least a second of what is left overall (one last look), never more than the phase's own.
        return Math.min(phaseMs, Math.max(1_000, this.start + this.opts.overallMs - Date.now()));
    }

    guard(action: HostAction, node: Node | undefined) {
        if (this.opts.overallMs !== undefined && Date.now() - this.start > this.opts.overallMs) {
            throw new HostError(
                `host ${this.opts.label}: timed out after ${Math.round(this.opts.overallMs / 1000)}s (${describe(node)})`,
                node?.uuid,
                node?.provision_state,
                node?.last_error ?? undefined,
            );
        }
        const key = `${node?.provision_state}/${node?.power_state}/${JSON.stringify(action)}`;
        const n = (this.seen.get(key) ?? 0) + 1;
        this.seen.set(key, n);
        if (n > MAX_REPEATS) {
            throw new HostError(
                `host ${this.opts.label}: Ironic is not making progress (${stepText(action)} tried ${MAX_REPEATS} times): ${describe(node)}`,
                node?.uuid,
                node?.provision_state,
                node?.last_error ?? undefined,
            );
        }
    }

    progress(phase: string) {
        return (n: Node, ms: number) => {
            this.opts.onNode?.(n.uuid, n);
            this.log(
                `${phase}: Ironic ${n.provision_state}${n.target_provision_state ? ` → ${n.target_provision_state}` : ""}, power ${n.power_state ?? "unknown"} [${Math.round(ms / 1000)}s in phase]`,
            );
        };
    }

    /**
     * Does one step. Returns the node as the step left it when the step's own answer shows it
     * (enrol, patch, waits, deploy), so the loop does not fetch it again; `gone` after a delete.
     */
    async perform(spec: HostSpec | undefined, deleteSpec: DeleteSpec | undefined, action: HostAction, node: Node | undefined): Promise<StepResult> {
        const c = this.client;
        const uuid = node?.uuid as string;
        const wait = async (expect: string[], phase: Phase, label: string, progressLabel: string): Promise<Node> => {
            try {
                return await c.waitForProvisionState(uuid, expect, { timeoutMs: this.timeout(phase), label, onProgress: this.progress(progressLabel) });
            } catch (e) {
                const now = e instanceof IronicError && e.provisionState && !isUnreachable(e) ? await c.findNode(uuid) : undefined;
                if (!now || !movedOnByAnotherWriter(now, expect)) throw e;
                this.log(`${label}: meanwhile the node moved on to "${now.provision_state}" (another writer); going on from there`);
                return now;
            }
        };
        switch (action.kind) {
            case "enrol": {
                this.log(`registering (enrolling Ironic node ${spec!.nodeName}, driver ${spec!.bmc.driver})`);
                try {
                    if (this.opts.reattach)
                        this.log(`re-attaching: enrolling node ${this.opts.reattach.uuid} again (it was "${this.opts.reattach.provisionState}" when detached)`);
                    const created = await enrolNode(c, spec!, this.opts.reattach);
                    return { uuid: created.uuid, node: created, ports: [] };
                } catch (e) {
                    if (e instanceof IronicError && e.status === 400 && /supports driver/.test(e.message))
                        throw await driverNotOffered(c, spec!, this.opts.label, e);
                    // 409: a node with this name exists: ours when an interrupted create left it
                    // (it carries our owner record), else refused untouched.
                    const existing = e instanceof IronicError && e.status === 409 ? await c.findNode(spec!.nodeName) : undefined;
                    if (!existing) throw e;
                    takeOver(spec!, existing, `its name ${spec!.nodeName}`);
                    this.log(`taking over Ironic node ${existing.uuid}, left by an earlier run of this stack`);
                    return { uuid: existing.uuid }; // observed, with its ports, by the next turn
                }
            }
            case "patch": {
                this.log(`updating node (${action.reason}: ${action.ops.map((o) => o.path).join(", ")})`);
                if (!action.inMaintenance) return { uuid, node: await c.patchNode(uuid, action.ops) };
                await c.setMaintenance(uuid, action.inMaintenance);
                try {
                    await c.patchNode(uuid, action.ops);
                } finally {
                    await c.unsetMaintenance(uuid);
                }
                return { uuid };
            }
            case "create-port": {
                this.log(`creating port ${action.address}`);
                const port = await c.createPort({ node_uuid: uuid, address: action.address, pxe_enabled: true });
                return { uuid, node, newPort: port };
            }
            case "set-traits":
                this.log(`setting traits [${action.traits.join(", ")}]`);
                await c.setTraits(uuid, action.traits);
                return { uuid, node: { ...node!, traits: [...action.traits] } };
            case "unset-maintenance":
                this.log("leaving maintenance mode");
                await c.unsetMaintenance(uuid);
                return { uuid };
            case "set-maintenance":
                this.log(`entering maintenance (${action.reason})`);
                await c.setMaintenance(uuid, action.reason);
                return { uuid };
            case "provision":
                this.log(action.reason);
                try {
                    await c.setProvisionState(uuid, action.target);
                } catch (e) {
                    // Another writer (an operator's `baremetal node provide`) moved the node first and
                    // Ironic refuses ours from the new state (400): decide again from where it is now.
                    const now = e instanceof IronicError && e.status === 400 ? await c.findNode(uuid) : undefined;
                    if (!now || now.provision_state === node?.provision_state) throw e;
                    this.log(`Ironic refused "${action.target}": meanwhile the node moved to "${now.provision_state}" (another writer); going on from there`);
                    return { uuid, node: now };
                }
                {
                    const reached = await wait(action.expect, action.phase, action.reason, action.reason);
                    return { uuid, node: action.record ? await c.patchNode(uuid, action.record) : reached };
                }
            case "wait":
                this.log(`waiting: ${action.reason}`);
                return { uuid, node: await wait(action.expect, action.phase, `waiting (${action.reason})`, "waiting") };
            case "deploy": {
                const d = spec!.deployment!;
                this.log(action.reason);
                const deployed = await deployImage(
                    c,
                    node!,
                    {
                        image: d.image,
                        customDeploy: d.customDeploy,
                        userData: d.userData,
                        networkData: d.networkData,
                        metaData: d.metaData,
                        rootDeviceHints: d.rootDeviceHints,
                        bootMode: d.bootMode,
                        hostName: spec!.name,
                        namespace: spec!.namespace,
                        extra: { [EXTRA.deployment]: d.fingerprint },
                    },
                    // The loop's node is Ironic's latest answer (a step's own result or a fresh observe).
                    { timeoutMs: this.timeout("deploy"), onProgress: (m) => this.log(m), nodeIsCurrent: true },
                );
                // A deploy or rebuild boots the host: it carries out a pending reboot request too (recorded
                // once the deploy is done, so a deploy that fails leaves the request pending).
                if (rebootPending(spec!, deployed)) return { uuid, node: await c.patchNode(uuid, recordOp(EXTRA.reboot, spec!.rebootRequest!)) };
                return { uuid, node: deployed };
            }
            case "undeploy": {
                this.log(action.reason);
                const undeployed = await undeploy(c, node!, {
                    cleaningMode: spec?.automatedCleaningMode ?? "metadata",
                    disablePowerOff: spec?.disablePowerOff ?? deleteSpec?.disablePowerOff,
                    // A node about to be deleted needs no clean-up of its marks.
                    clearExtra: deleteSpec ? [] : [EXTRA.deployment],
                    timeoutMs: this.timeout(deleteSpec ? "delete" : "deprovision"),
                    onProgress: (m) => this.log(m),
                    nodeIsCurrent: true,
                });
                return { uuid, node: undeployed };
            }
            case "power":
                this.log(`${action.target}${action.mode ? ` (${action.mode})` : ""} (${action.reason})`);
                if (action.target === "power off" && action.mode === "soft") {
                    return {
                        uuid,
                        node: await powerOffNode(c, uuid, {
                            softMs: this.opts.timeouts.softPowerOff,
                            timeoutMs: this.timeout("power"),
                            log: (m) => this.log(m),
                        }),
                    };
                }
                await c.setPowerState(uuid, action.target);
                return { uuid, node: await c.waitForPowerState(uuid, action.target, { timeoutMs: this.timeout("power"), label: action.target }) };
            case "reboot": {
                this.log(`rebooting (${action.mode}; ${action.reason})`);
                await rebootNode(c, uuid, action.mode, { softMs: this.opts.timeouts.softPowerOff, timeoutMs: this.timeout("power"), log: (m) => this.log(m) });
                return { uuid, node: await c.patchNode(uuid, action.record) };
            }
            case "attach-data-image":
                this.log(`attaching data image ${action.url} (virtual CD; no reboot)`);
                return { uuid, node: await attachDataImage(c, uuid, action.url, { timeoutMs: this.timeout("power") }) };
            case "detach-data-image":
                this.log(`ejecting data image ${action.url} (${action.reason})`);
                return { uuid, node: await detachDataImage(c, uuid, action.url, { timeoutMs: this.timeout("power") }) };
            case "configure-raid": {
                const plan = spec!.raid!;
                const fake = node!.raid_interface === "fake";
                this.log(`preparing: applying RAID (${plan.logical_disks.length} volume(s))`);
                if (plan.raidInterface && !fake && node!.raid_interface !== plan.raidInterface) {
                    await c.patchNode(uuid, [{ op: "add", path: "/raid_interface", value: plan.raidInterface }]);
                }
                // An empty object clears the target (Ironic rejects an empty logical_disks list).
                await c.setTargetRaidConfig(uuid, plan.logical_disks.length ? { logical_disks: plan.logical_disks } : {});
                // Ironic's fake RAID interface has no clean steps: on fake hardware the target
                // configuration is recorded and that is all there is to apply.
                if (!fake) {
                    await c.setProvisionState(uuid, "clean", { cleanSteps: raidCleanSteps(plan, { eraseMetadata: plan.raidInterface === "agent" }) });
                    await wait(["manageable"], "clean", "preparing (RAID)", "preparing (RAID)");
                }
                return { uuid, node: await c.patchNode(uuid, [{ op: "add", path: `/extra/${EXTRA.raid}`, value: plan.fingerprint }]) };
            }
            case "configure-firmware":
                return {
                    uuid,
                    node: await applyFirmware(
                        c,
                        uuid,
                        spec!.firmware!,
                        action.via,
                        (m) => this.log(m),
                        (label) => wait([action.via === "service" ? "active" : "manageable"], "clean", label, label),
                        node!.bios_interface,
                    ),
                };
            case "delete-node":
                this.log("deleting the Ironic node");
                await c.deleteNode(uuid);
                return { uuid, gone: true };
            case "fail":
                throw new HostError(
                    `host ${this.opts.label}: ${action.message}: ${describe(node)}`,
                    uuid,
                    node?.provision_state,
                    node?.last_error ?? undefined,
                );
            case "done":
                return { uuid, node };
        }
    }

    /** Wraps any failure so it names the host, the node's current state and last_error. */
    async explain(e: unknown, uuid: string | undefined): Promise<HostError> {
        if (e instanceof HostError) return e;
        // Ironic unreachable: asking again now would only wait out the retry window once more.
        const node = uuid && !isUnreachable(e) ? await this.client.findNode(uuid).catch(() => undefined) : undefined;
        const msg = e instanceof Error ? e.message : String(e);
        // Ironic's wait errors already name the state and last_error; add the node's current
        // state only when it says something new.
        const said =
            e instanceof IronicError &&
            e.provisionState !== undefined &&
            e.provisionState === node?.provision_state &&
            (e.lastError ?? null) === (node?.last_error ?? null);
        const now = said || !node ? "" : ` [now: ${describe(node)}]`;
        // Ironic's "Missing are: ['deploy_kernel', ...]" names its keys; say which inputs to set first.
        const hint =
            node && missingAgentImages(node.last_error)
                ? `${agentImagesNeeded(agentProfile(node), node.provision_state === "clean failed" ? "automated cleaning (automatedCleaningMode: metadata)" : "this deploy")}. `
                : "";
        // Unreachable: the state is unknown now, but the way on is not (the faults campaign, test/faults/).
        const next = isUnreachable(e)
            ? `. Once Ironic answers again, run the same pulumi command again (\`pulumi up\`, or \`pulumi destroy\`): it continues${uuid ? ` on node ${uuid}` : ""}`
            : "";
        return new HostError(`host ${this.opts.label}: ${hint}${msg}${now}${next}`, uuid, node?.provision_state, node?.last_error ?? undefined, e);
    }
}

/** What a step learned: the node as it left it (if its answer showed it), a new port, or that the node is gone. */
interface StepResult {
    uuid: string;
    node?: Node;
    ports?: Port[];
    newPort?: Port;
    gone?: boolean;
}

export interface ConvergeResult {
    /** The node as the run left it; after a detach, as it was last seen before its removal. */
    node: Node;
    /** The node was removed by a detach (it is not in Ironic any more). */
    detached?: boolean;
    /** The steps taken, for tests and for the summary line. */
    steps: HostAction[];
}

/**
 * Drives the node (existing `uuid`, or found / enrolled) until nextAction says done. On failure
 * throws HostError with `nodeUuid` set when a node exists, so callers can keep it in state.
 */
export async function converge(client: IronicClient, spec: HostSpec, uuid: string | undefined, opts: ConvergeOptions): Promise<ConvergeResult> {
    const runner = new Runner(client, opts);
    const steps: HostAction[] = [];
    let current = uuid;
    // What we know of the node: refreshed from a step's own answer when it has one, else fetched.
    let known: ObservedHost | undefined;
    // The node as last seen before a detach removed it: what the state keeps of it.
    let lastSeen: Node | undefined;
    let reattaching = !!opts.reattach;
    try {
        for (;;) {
            if (current && !known) {
                known = await observe(client, current);
                // Gone after a detach's delete (or detached by an earlier run): done below; gone
                // before a re-attach: enrolled again (an interrupted re-attach left it: go on with it).
                if (!known && !spec.detached && !reattaching) throw new HostError(`host ${opts.label}: Ironic node ${current} disappeared`, current);
                if (known) opts.onNode?.(current, known.node);
            }
            // A provisioned host's virtual CD, as its BMC reports it, when a data image is wanted or
            // was attached: looked at again after every step (a deploy through virtual media ejects it).
            if (
                known &&
                !known.vmedia &&
                known.node.provision_state === "active" &&
                !known.node.reservation &&
                (spec.dataImage || recordedDataImage(known.node))
            ) {
                known.vmedia = await client.getVirtualMedia(known.node.uuid);
            }
            if (known) lastSeen = known.node;
            const action = nextAction(spec, known);
            if (action.kind === "done") {
                if (spec.detached) {
                    runner.log(
                        `detached: the Ironic node is removed; the server is left as it was (${lastSeen ? `Ironic ${lastSeen.provision_state}, power ${lastSeen.power_state}` : "no node"})`,
                    );
                    return { node: lastSeen!, steps, detached: true };
                }
                runner.log(`ready: Ironic ${known!.node.provision_state}, power ${known!.node.power_state}`);
                return { node: known!.node, steps };
            }
            if (action.kind === "enrol") reattaching = false;
            runner.guard(action, known?.node);
            steps.push(action);
            opts.onStep?.(action);
            const r = await runner.perform(spec, undefined, action, known?.node);
            current = r.uuid;
            opts.onNode?.(current, r.node);
            const ports = r.ports ?? (known ? [...known.ports, ...(r.newPort ? [r.newPort] : [])] : undefined);
            known = r.node && ports ? { node: r.node, ports } : r.newPort && known ? { node: known.node, ports: ports! } : undefined;
        }
    } catch (e) {
        throw await runner.explain(e, current);
    }
}

/** Removes the host's node (deprovisioning first when deployed). A node already gone is success. */
export async function removeHost(
    client: IronicClient,
    spec: DeleteSpec & { automatedCleaningMode?: "metadata" | "disabled" },
    uuid: string,
    opts: ConvergeOptions,
): Promise<HostAction[]> {
    const runner = new Runner(client, opts);
    const steps: HostAction[] = [];
    try {
        let known: Node | undefined;
        for (;;) {
            const node = known ?? (await client.findNode(uuid));
            // A claimed node: look up whose claim it is, for the refusal.
            const claim = node?.allocation_uuid ? await client.findAllocation(node.allocation_uuid).catch(() => undefined) : undefined;
            const action = nextDeleteAction(spec, node, claim && allocationHolder(claim));
            if (action.kind === "done") {
                runner.log("deleted");
                return steps;
            }
            runner.guard(action, node);
            steps.push(action);
            const hostSpec = { automatedCleaningMode: spec.automatedCleaningMode ?? "metadata", disablePowerOff: spec.disablePowerOff } as HostSpec;
            let r: StepResult;
            try {
                r = await runner.perform(hostSpec, spec, action, node);
            } catch (e) {
                // An eject the BMC refused (or a BMC gone): the host is deleted all the same, the
                // CD left as it is; said in the log.
                if (action.kind === "detach-data-image" && node) {
                    runner.log(
                        `could not eject data image ${action.url} (${e instanceof Error ? e.message : String(e)}); deleting the node anyway, the BMC's virtual CD left as it is`,
                    );
                    const { [EXTRA.dataImage]: _ejected, ...extra } = node.extra;
                    known = { ...node, extra };
                    continue;
                }
                // A deprovisioning that left the node in "error" (e.g. the BMC stopped answering):
                // the delete goes on through maintenance (nextDeleteAction), it does not retry for ever.
                const after = action.kind === "undeploy" ? await client.findNode(uuid) : undefined;
                if (after?.provision_state !== "error") throw e;
                runner.log(`deprovisioning failed (${after.last_error ?? "no last_error"}); deleting the node anyway`);
                r = { uuid, node: after };
            }
            if (r.gone) {
                runner.log("deleted");
                return steps;
            }
            known = r.node;
        }
    } catch (e) {
        if (e && typeof e === "object" && (e as { status?: number }).status === 404) return steps;
        throw await runner.explain(e, uuid);
    }
}
