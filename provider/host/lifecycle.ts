// THE host lifecycle decision: given what the program wants (HostSpec) and what Ironic shows
// (the node and its ports), which single step comes next. Pure, like BMO's host state machine:
// converge.ts performs the step through the Ironic client and asks again. Nothing else decides
// lifecycle steps.
// The node.extra keys are defined with the other extra keys (../extra-keys), re-exported here.
export { EXTRA };
import type { JsonPatchOp, Node, Port, ProvisionTarget } from "../ironic/types";
import type { AllocationHolder } from "../claim/allocation";
import { capabilitiesWithBootMode, deployInterfaceFor, instancePatch } from "./instance";
import { keyIdOf } from "./desired";
import type { HostOwner, HostSpec } from "./spec";
import { FAILED_STATES, TRANSIENT_STATES } from "./states";
import { isTransientProvisionState } from "../ironic/provision-states";
import { sameJson } from "../canonical-json";
import { EXTRA, extraObject } from "../extra-keys";
import { OWNER_MAC_KEY, ownerMac, verdictText, verifyOwnerMac, type OwnerVerdict } from "../owner-record";
import { agentImagesNeeded, bmcDrift, missingAgentImages } from "./bmc";
import { firmwarePending } from "./firmware";
import { inspectPending, inspectRefusal, nextDetachStep, REATTACH_DESCRIBED, reattachingActive, rebootDecision, rebootPending, recordOp } from "./day-two";

/**
 * Maintenance this project sets starts with this text; maintenance with any other reason is
 * someone else's (an operator's) and is never cleared by pulumi-metal3.
 */
export const OWN_MAINTENANCE_REASON = "pulumi-metal3";
/** Reasons earlier versions wrote before the prefix existed (still ours). */
const LEGACY_OWN_MAINTENANCE = new Set(["forcing deletion in pulumi-metal3", "deleting an externally provisioned host without deprovisioning"]);

export function ownMaintenanceReason(why: string): string {
    return `${OWN_MAINTENANCE_REASON}: ${why}`;
}

/**
 * Who put the node in maintenance: nobody, this project (its own reason text), Ironic (a fault it
 * recorded, e.g. after a failed clean) or someone else (any other reason: an operator at work).
 */
export function maintenanceBy(node: Pick<Node, "maintenance" | "maintenance_reason" | "fault">): "none" | "ours" | "ironic" | "operator" {
    if (!node.maintenance) return "none";
    if (node.fault) return "ironic";
    const reason = node.maintenance_reason ?? "";
    if (reason.startsWith(`${OWN_MAINTENANCE_REASON}:`) || LEGACY_OWN_MAINTENANCE.has(reason)) return "ours";
    return "operator";
}

/**
 * A wait for `expected` ended with the node stable somewhere else. True when that is another
 * writer's doing (an operator's `baremetal node provide` right after our manage), not a failure:
 * no last_error, nothing in progress, not a failed state, not fallen back to enroll. The next step
 * is then decided from where the node is, as after Ironic refuses our request from its new state.
 */
export function movedOnByAnotherWriter(node: Node, expected: string[]): boolean {
    const state = node.provision_state;
    return (
        !expected.includes(state) &&
        !node.last_error &&
        !node.target_provision_state &&
        !isTransientProvisionState(state) &&
        !FAILED_STATES.has(state) &&
        state !== "enroll"
    );
}

/** The refusal for a step that would power or provision a node an operator holds in maintenance. */
export function operatorMaintenanceMessage(node: Pick<Node, "uuid" | "name" | "maintenance_reason">, step: string): string {
    const id = node.name ?? node.uuid;
    return (
        `the node is in maintenance set by someone else (reason: "${node.maintenance_reason ?? "none given"}"), so pulumi-metal3 will not ${step}; ` +
        `when that work is done, run \`baremetal node maintenance unset ${id}\` and run pulumi again`
    );
}

/**
 * A deployment record written before Ironic accepted the deploy: `pending:<value>@<the node's
 * provision_updated_at then>`. Ironic cannot take a record while it deploys, so the final one
 * may never be written (the run ends first); a provision state change since the pending one
 * says Ironic took the request, an unchanged one that it never did.
 */
export function pendingRecord(value: string, node: Pick<Node, "provision_updated_at">): string {
    return `${PENDING}${value}@${node.provision_updated_at ?? ""}`;
}
const PENDING = "pending:";

/** The deployment record on the node: its value, and whether Ironic is known to have accepted that deployment. */
export function readRecord(raw: unknown, node: Pick<Node, "provision_updated_at">): { value?: string; pending: boolean; accepted: boolean } {
    if (typeof raw !== "string") return { pending: false, accepted: false };
    if (!raw.startsWith(PENDING)) return { value: raw, pending: false, accepted: true };
    const at = raw.lastIndexOf("@");
    const since = raw.slice(at + 1);
    return { value: raw.slice(PENDING.length, at), pending: true, accepted: (node.provision_updated_at ?? "") !== since };
}

/** Which per-phase deadline a step runs under. */
export type Phase = "register" | "inspect" | "clean" | "deploy" | "deprovision" | "power" | "delete";

export type HostAction =
    | { kind: "enrol" }
    /** JSON-patch the node; `inMaintenance`: wrapped in maintenance with that reason (Ironic's rule for interface changes on an active node). */
    | { kind: "patch"; ops: JsonPatchOp[]; reason: string; inMaintenance?: string }
    | { kind: "create-port"; address: string }
    | { kind: "set-traits"; traits: string[] }
    | { kind: "unset-maintenance" }
    | { kind: "set-maintenance"; reason: string }
    /** A provision-state change, then a wait for `expect`; `record`: patched on the node once it got there. */
    | { kind: "provision"; target: ProvisionTarget; expect: string[]; phase: Phase; reason: string; record?: JsonPatchOp[] }
    /** Deploy (from available / deploy failed) or rebuild (from active) with the desired deployment. */
    | { kind: "deploy"; rebuild: boolean; reason: string }
    /** Undeploy to available (cleaning per mode), then power off unless disablePowerOff. */
    | { kind: "undeploy"; reason: string }
    /** `mode: "soft"`: a soft power off first, hard when the host has not gone off in time (powerOffMode). */
    | { kind: "power"; target: "power on" | "power off"; reason: string; mode?: "soft" }
    /** Reboot a running host (rebootRequest), then patch `record` (the token carried out). No provision state change. */
    | { kind: "reboot"; mode: "soft" | "hard"; record: JsonPatchOp[]; reason: string }
    /** Ironic is busy: wait until it reaches one of `expect`. */
    | { kind: "wait"; expect: string[]; phase: Phase; reason: string }
    /** Apply spec.raid: target_raid_config + manual cleaning (manageable → manageable). */
    | { kind: "configure-raid" }
    /** Apply spec.firmware: bios.apply_configuration by manual cleaning (manageable) or servicing (active, no wipe); firmware.ts. */
    | { kind: "configure-firmware"; via: "clean" | "service" }
    | { kind: "delete-node" }
    | { kind: "fail"; message: string }
    | { kind: "done" };

export interface ObservedHost {
    node: Node;
    ports: Port[];
}

const PORT_STATES = new Set(["enroll", "manageable", "available", "active", "error", ...FAILED_STATES]);

function phaseOf(state: string): Phase {
    if (state === "verifying" || state === "adopting") return "register";
    if (state.startsWith("inspect")) return "inspect";
    if (state.startsWith("clean")) return "clean";
    if (state === "deploying" || state === "wait call-back") return "deploy";
    if (state === "deleting") return "deprovision";
    return "register";
}

/** The node is busy in the conductor; wait for where it is going. */
function busy(node: Node): HostAction | undefined {
    // Ironic keeps target_provision_state on some failures (clean failed → manageable): not busy.
    if (FAILED_STATES.has(node.provision_state)) return undefined;
    if (!node.target_provision_state && !TRANSIENT_STATES.has(node.provision_state)) return undefined;
    const expect = node.target_provision_state ? [node.target_provision_state] : ["manageable", "available", "active"];
    // Ironic reports target "active" while cleaning before a deploy step etc.; failures end the wait early anyway.
    return { kind: "wait", expect, phase: phaseOf(node.provision_state), reason: `Ironic is ${node.provision_state}` };
}

/** driver_info keys that belong to a BMC family (replaced together on a BMC change). */
const BMC_KEY = /^(ipmi|redfish)_/;

/** Ironic changes a node's driver and interfaces only in these states, or in maintenance (conductor update_node). */
const INTERFACE_CHANGE_STATES = new Set(["enroll", "inspecting", "inspect wait", "manageable", "available"]);

/** Ironic's hardware interface fields (firmware_interface from API 1.86). */
const INTERFACE_FIELDS = ["bios", "boot", "console", "deploy", "firmware", "inspect", "management", "network", "power", "raid", "rescue", "storage", "vendor"].map((i) => `${i}_interface`);

/** Maintenance reason while the BMC driver is switched on a node Ironic otherwise refuses it for. */
export const DRIVER_SWITCH_MAINTENANCE = ownMaintenanceReason("switching the BMC driver in place");

/**
 * Driver and interfaces as the BMC profile wants them. A driver switch (ipmi → redfish, say) is
 * done in place, as Ironic allows it: the interfaces the new profile does not name go back to
 * the new driver's defaults (the old driver's, e.g. ipmitool power, would be refused), except the
 * deploy interface a deployment chose (ramdisk, custom-agent), which is the deployment's.
 */
function interfaceOps(spec: HostSpec, node: Node): JsonPatchOp[] {
    const ops: JsonPatchOp[] = [];
    const fields = node as unknown as Record<string, unknown>;
    const wanted: Record<string, string | undefined> = { ...spec.bmc.interfaces };
    const inspect = inspectInterface(spec);
    if (inspect) wanted.inspect_interface = inspect;
    if (node.driver !== spec.bmc.driver) {
        ops.push({ op: "add", path: "/driver", value: spec.bmc.driver });
        for (const field of INTERFACE_FIELDS) {
            const keepDeploy = field === "deploy_interface" && node.deploy_interface !== "fake";
            if (wanted[field] === undefined && fields[field] != null && !keepDeploy) ops.push({ op: "remove", path: `/${field}` });
        }
    }
    for (const [field, value] of Object.entries(wanted)) if (value !== undefined && fields[field] !== value) ops.push({ op: "add", path: `/${field}`, value });
    return ops;
}

/** The patch changes the driver or a hardware interface. */
function changesInterfaces(ops: JsonPatchOp[]): boolean {
    return ops.some((o) => o.path === "/driver" || INTERFACE_FIELDS.includes(o.path.slice(1)));
}

/**
 * Registration drift: what must be patched so the node matches the spec (name, driver,
 * interfaces, credentials, cleaning, capabilities, description, resource class, labels).
 * Driver and interface changes outside Ironic's allowed states need maintenance (nextAction).
 */
export function registrationPatch(spec: HostSpec, node: Node): JsonPatchOp[] {
    const ops: JsonPatchOp[] = [];
    const set = (path: string, value: unknown) => ops.push({ op: "add", path, value });
    if (node.name !== spec.nodeName) set("/name", spec.nodeName);
    ops.push(...interfaceOps(spec, node));
    const recordedBmc = node.extra?.[EXTRA.bmcFingerprint];
    // The fingerprint says what was declared; the node's own driver_info says where Ironic now
    // sends the password: an address (or CA) changed out of band is put back with the rest.
    const drifted = node.driver === spec.bmc.driver && bmcDrift(spec.bmc, node.driver_info).length > 0;
    if (!drifted && recordedBmc === spec.legacyBmcFingerprint && recordedBmc !== undefined && node.driver === spec.bmc.driver) {
        // Recorded by a release before keyed digests, for these very credentials: re-fingerprint
        // only, the BMC settings stay untouched.
        set(`/extra/${EXTRA.bmcFingerprint}`, spec.bmcFingerprint);
    } else if (drifted || recordedBmc !== spec.bmcFingerprint || node.driver !== spec.bmc.driver) {
        for (const key of Object.keys(node.driver_info ?? {})) {
            if (BMC_KEY.test(key) && !(key in spec.bmc.driverInfo)) ops.push({ op: "remove", path: `/driver_info/${key}` });
        }
        for (const [key, value] of Object.entries(spec.bmc.driverInfo)) set(`/driver_info/${key}`, value);
        set(`/extra/${EXTRA.bmcFingerprint}`, spec.bmcFingerprint);
    }
    for (const [key, value] of Object.entries(spec.deployImages)) {
        const current = node.driver_info?.[key];
        if (value === null && current !== undefined && current !== null) ops.push({ op: "remove", path: `/driver_info/${key}` });
        else if (value !== null && current !== value) set(`/driver_info/${key}`, value);
    }
    const automatedClean = spec.automatedCleaningMode !== "disabled";
    if (node.automated_clean !== automatedClean) set("/automated_clean", automatedClean);
    const caps = capabilitiesWithBootMode(node.properties?.capabilities, spec.bootMode);
    if (node.properties?.capabilities !== caps) set("/properties/capabilities", caps);
    if (spec.architecture && node.properties?.cpu_arch !== spec.architecture) set("/properties/cpu_arch", spec.architecture);
    if ((node.description ?? undefined) !== spec.description) {
        if (spec.description === undefined) ops.push({ op: "remove", path: "/description" });
        else set("/description", spec.description);
    }
    if (node.resource_class !== spec.resourceClass) set("/resource_class", spec.resourceClass);
    if (node.extra?.[EXTRA.managed] !== "true") set(`/extra/${EXTRA.managed}`, "true");
    for (const [key, value] of Object.entries(ownerExtra(spec))) if (node.extra?.[key] !== value) set(`/extra/${key}`, value);
    if (!carriesOwnImage(spec) && node.extra?.[EXTRA.hostImage] !== undefined) ops.push({ op: "remove", path: `/extra/${EXTRA.hostImage}` });
    if (!sameJson(extraObject(node.extra?.[EXTRA.labels]), spec.labels)) set(`/extra/${EXTRA.labels}`, spec.labels);
    // A reboot request where there is nothing to reboot (not provisioned) is only recorded (day-two.ts).
    if (node.provision_state !== "active" && rebootPending(spec, node)) ops.push(...recordOp(EXTRA.reboot, spec.rebootRequest!));
    // Re-attached and adopted: the mark has done its work.
    if (node.provision_state === "active" && node.extra?.[EXTRA.reattach] !== undefined) ops.push({ op: "remove", path: `/extra/${EXTRA.reattach}` });
    // The same deployment recorded in the unkeyed form of older releases: re-record, never reprovision.
    const recordedDeployment = node.extra?.[EXTRA.deployment];
    if (spec.deployment?.legacyFingerprint && recordedDeployment === spec.deployment.legacyFingerprint) set(`/extra/${EXTRA.deployment}`, spec.deployment.fingerprint);
    return ops;
}

/** The host puts (or keeps) its own image on the node: Machines must not claim it. */
function carriesOwnImage(spec: HostSpec): boolean {
    return spec.deployment !== undefined || spec.externallyProvisioned;
}

/**
 * The node.extra marks that say whose node this is, written in the enrol request itself (so a
 * run killed right after the POST leaves a node the next run recognises) and kept by updates.
 */
export function ownerExtra(spec: HostSpec): Record<string, string> {
    const extra: Record<string, string> = {};
    if (spec.owner) {
        extra[EXTRA.owner] = spec.owner.stack;
        extra[EXTRA.resource] = spec.owner.resource;
        // The plain record says who; the MAC proves it (provider/owner-record.ts). Written by the
        // enrol itself and by every update (a node carrying only the plain record of an earlier
        // release gets it then: an extra patch, nothing else).
        if (spec.ownerKeys) extra[OWNER_MAC_KEY] = ownerMac(spec.ownerKeys.write, spec.nodeName, spec.owner.stack, spec.owner.resource);
    }
    if (carriesOwnImage(spec)) extra[EXTRA.hostImage] = "true";
    return extra;
}

/** The owner record a node carries, as far as it carries one. */
export function nodeOwner(node: Pick<Node, "extra">): Partial<HostOwner> & { managed: boolean } {
    const extra = node.extra ?? {};
    const text = (k: string) => (typeof extra[k] === "string" && extra[k] !== "" ? (extra[k] as string) : undefined);
    return { stack: text(EXTRA.owner), resource: text(EXTRA.resource), managed: extra[EXTRA.managed] === "true" || extra[EXTRA.managed] === true };
}

/**
 * Whether the node's owner record is this host's: `other` when its plain record names another
 * stack or resource (or none), else what its MAC says under the host's keys (owner-record.ts).
 */
export function ownVerdict(spec: Pick<HostSpec, "owner" | "ownerKeys" | "nodeName">, node: Pick<Node, "extra">): OwnerVerdict | "other" {
    const found = nodeOwner(node);
    if (!spec.owner || found.stack !== spec.owner.stack || found.resource !== spec.owner.resource) return "other";
    if (!spec.ownerKeys) return "unkeyed";
    return verifyOwnerMac(spec.ownerKeys.verify, node.extra?.[OWNER_MAC_KEY], spec.nodeName, spec.owner.stack, spec.owner.resource);
}

/** States before any deployment: a node in them holds no image or data that a take-over could wipe. */
const PRE_DEPLOY_STATES = new Set(["enroll", "verifying", "manageable", "inspecting", "inspect wait", "inspect failed", "cleaning", "clean wait", "clean failed", "clean hold", "available"]);

/**
 * Nothing on the node can be lost by taking it over: not deployed, not claimed, and no deployment
 * recorded, or only one written just before a deploy Ironic never took (a run killed between the
 * two: the disk holds nothing of it).
 */
export function nothingToLose(node: Node): boolean {
    const raw = node.extra?.[EXTRA.deployment];
    const record = raw === undefined ? undefined : readRecord(raw, node);
    return PRE_DEPLOY_STATES.has(node.provision_state) && !node.instance_uuid && !node.allocation_uuid && (record === undefined || (record.pending && !record.accepted));
}

/**
 * Find-or-enrol found an existing node for a new host (same name `<ns>~<name>`, a port with the
 * boot MAC, or a 409 on enrol): it is taken over only when it carries this stack's owner record
 * for this resource (a create of ours that was interrupted). Anything else is refused before a
 * single field is patched; `adoptNode` is the explicit way to take a node over.
 */
export function takeOverDecision(spec: HostSpec, node: Node, foundBy: string): { kind: "take-over" } | { kind: "fail"; message: string } {
    const nodeLabel = `Ironic node ${node.name ?? "(unnamed)"} (${node.uuid}, provision state "${node.provision_state}")`;
    // Someone else's node (another owner, deployment or claim): adoptNode alone refuses it too.
    const force = adoptionTakes(spec, node).length ? " together with adoptForce: true (it is someone else's node: the preview says what taking it changes)" : "";
    const howToAdopt = `To take this node over on purpose, set adoptNode: "${node.uuid}"${force} on the host (pulumi-metal3's explicit takeover); nothing was changed on it.`;
    if (node.name && node.name !== spec.nodeName) {
        return {
            kind: "fail",
            message: `host ${spec.nodeName}: ${foundBy} already belongs to ${nodeLabel}. ${howToAdopt} Otherwise fix bootMACAddress.`,
        };
    }
    const found = nodeOwner(node);
    const verdict = ownVerdict(spec, node);
    if (verdict === "verified") return { kind: "take-over" };
    // The plain record names this stack and resource but its MAC cannot be checked: a create of
    // this resource killed after its enrol POST wrote the MAC under that create's fresh digest key,
    // which died with the run (no state was kept), or a release before keyed records wrote none.
    // Without a stack ownerKey that is indistinguishable from a record someone wrote by hand, so
    // it is taken over only where nothing can be lost: a node not deployed, not claimed, carrying
    // no deployment, whose registration (BMC, credentials, interfaces, ports) the converge then
    // rewrites as for a node it had enrolled itself. A deployed node is never taken over on such a
    // record (the converge would wipe or rebuild it). With a stack ownerKey every record this
    // stack writes verifies, so anything else is refused.
    const plainMatch = !!spec.owner && found.stack === spec.owner.stack && found.resource === spec.owner.resource;
    if (plainMatch && (verdict === "unverifiable" || verdict === "unkeyed") && !spec.ownerKeys?.stackKeyed && nothingToLose(node)) return { kind: "take-over" };
    const unverified = plainMatch && spec.ownerKeys ? ` but ${verdictText(verdict as OwnerVerdict, node.extra?.[OWNER_MAC_KEY], spec.ownerKeys)}${nothingToLose(node) ? "" : ` and the node is deployed or claimed (provision state "${node.provision_state}")`}` : "";
    const owner = found.stack
        ? `belongs to ${found.stack}${found.resource ? ` (resource ${found.resource})` : ""}${unverified}`
        : found.managed
          ? "carries no owner record (enrolled by pulumi-metal3 before owner records, or by a program that did not record one)"
          : "carries no pulumi-metal3 owner record (enrolled by hand or by another tool)";
    const ours = spec.owner ? `${spec.owner.stack} (resource ${spec.owner.resource})` : "this program (no owner given)";
    return {
        kind: "fail",
        message:
            `host ${spec.nodeName}: ${nodeLabel}, found by ${foundBy}, ${owner}, not ${ours}: ` +
            `pulumi-metal3 takes over an existing node only when it carries this stack's owner record. ${howToAdopt} ` +
            `Otherwise choose another name or namespace for the host, or remove that node.`,
    };
}

/** What an adoption takes from someone else, in words (empty: nobody else's node). */
export function adoptionTakes(spec: Pick<HostSpec, "owner" | "ownerKeys" | "nodeName">, node: Node, claim?: AllocationHolder): string[] {
    const takes: string[] = [];
    const found = nodeOwner(node);
    // Ours only when the record verifies: a plain record naming this stack is anyone's to write.
    const verdict = ownVerdict(spec, node);
    const ours = verdict === "verified";
    const why = verdict !== "other" && !ours && spec.ownerKeys ? `; ${verdictText(verdict, node.extra?.[OWNER_MAC_KEY], spec.ownerKeys)}` : "";
    if (found.stack && !ours) takes.push(`its owner record (it belongs to ${found.stack}${found.resource ? `, resource ${found.resource}` : ""}${why})`);
    if (node.extra?.[EXTRA.deployment] !== undefined && !ours) takes.push("a deployment another pulumi-metal3 resource recorded (its disk holds that resource's image and data)");
    if (node.allocation_uuid) takes.push(`a claim: ${claimText(node, claim)}`);
    return takes;
}

/**
 * `adoptNode` names an existing node: adopted only when it is nobody else's (no other owner
 * record, no deployment recorded by another resource, no allocation), or when `adoptForce` says
 * to take it anyway. A copy-pasted UUID must never undeploy another team's server.
 */
export function adoptionDecision(spec: Pick<HostSpec, "nodeName" | "owner" | "ownerKeys" | "adoptForce">, node: Node, claim?: AllocationHolder): { kind: "adopt"; takes: string[] } | { kind: "fail"; message: string } {
    const takes = adoptionTakes(spec, node, claim);
    if (!takes.length || spec.adoptForce) return { kind: "adopt", takes };
    return {
        kind: "fail",
        message:
            `host ${spec.nodeName}: adoptNode names Ironic node ${node.name ?? "(unnamed)"} (${node.uuid}, provision state "${node.provision_state}", power "${node.power_state ?? "unknown"}"), ` +
            `which carries ${takes.join("; ")}. Adopting it would take it from its owner; nothing was changed on it. ` +
            `If adoptNode is a mistake, remove it or name the right node; to take this node over anyway, also set adoptForce: true ` +
            `(the preview then says everything the adoption will change on it)`,
    };
}

/** inspect_interface per inspectionMode; undefined = Ironic's default (a Metal³ Ironic defaults to agent). */
export function inspectInterface(spec: HostSpec): string | undefined {
    if (spec.bmc.isFake) return "fake";
    if (spec.inspectionMode === "fast") return spec.bmc.fastInspectInterface;
    return undefined;
}

/** The program manages RAID and the node does not carry that configuration yet. */
function raidPending(spec: HostSpec, node: Node): boolean {
    return !!spec.raid && node.extra?.[EXTRA.raid] !== spec.raid.fingerprint;
}

function wantsPowerOff(spec: HostSpec, node: Node): boolean {
    return !spec.disablePowerOff && node.power_state !== "power off";
}

/** The next step to bring the host where the spec says. */
export function nextAction(spec: HostSpec, observed: ObservedHost | undefined): HostAction {
    // Detached: the node is removed, the server left as it is (day-two.ts); nothing is enrolled.
    if (spec.detached) {
        const step = nextDetachStep(observed?.node, !!observed && maintenanceBy(observed.node) === "operator");
        return step.kind === "wait" ? { ...step, phase: "register" } : step;
    }
    if (!observed) return { kind: "enrol" };
    const { node, ports } = observed;
    const state = node.provision_state;

    // Image removed while Ironic waits for an agent that may never call back: Ironic allows
    // "deleted" from there, so undeploy now instead of waiting out its callback timeout.
    if (state === "wait call-back" && !spec.deployment && !node.allocation_uuid && node.extra?.[EXTRA.deployment] !== undefined) {
        return { kind: "undeploy", reason: "image removed while waiting for the agent's call-back: deprovisioning" };
    }
    const waiting = busy(node);
    if (waiting) return waiting;

    // Maintenance: ours (or Ironic's own after a failed step, which BMO clears to retry) is left;
    // an operator's is kept: metadata may still change, nothing that powers or provisions.
    const maintenance = maintenanceBy(node);
    if (maintenance === "ours" || (maintenance === "ironic" && FAILED_STATES.has(state))) return { kind: "unset-maintenance" };
    if (maintenance === "ironic") return { kind: "fail", message: `the node is in maintenance because of fault "${node.fault}" (${node.maintenance_reason ?? "no reason given"})` };

    const ops = registrationPatch(spec, node);
    if (ops.length && changesInterfaces(ops) && !INTERFACE_CHANGE_STATES.has(state)) {
        return { kind: "patch", ops, reason: `BMC driver switch in place (in maintenance, as Ironic requires on a node in "${state}")`, inMaintenance: DRIVER_SWITCH_MAINTENANCE };
    }
    const drift = node.driver === spec.bmc.driver ? bmcDrift(spec.bmc, node.driver_info) : [];
    if (ops.length && drift.length) {
        return { kind: "patch", ops, reason: `the node's BMC settings were changed outside pulumi-metal3 (${drift.join("; ")}): putting the declared BMC back` };
    }
    if (ops.length) return { kind: "patch", ops, reason: "registration" };

    if (spec.bootMACAddress && PORT_STATES.has(state)) {
        const mac = spec.bootMACAddress.toLowerCase();
        if (!ports.some((p) => p.address.toLowerCase() === mac)) return { kind: "create-port", address: mac };
    }
    const traits = [...spec.traits].sort();
    if (!sameJson([...(node.traits ?? [])].sort(), traits)) return { kind: "set-traits", traits };

    const step = provisioningStep(spec, node);
    if (maintenance === "operator" && step.kind !== "done") return { kind: "fail", message: operatorMaintenanceMessage(node, `take its next step (${stepText(step)})`) };
    return step;
}

/** What a step would do, in words, for refusals. */
function stepText(a: HostAction): string {
    switch (a.kind) {
        case "power":
            return `${a.target} (${a.reason})`;
        case "provision":
        case "deploy":
        case "undeploy":
            return a.reason;
        case "configure-raid":
            return "apply RAID";
        case "configure-firmware":
            return a.via === "service" ? "apply firmware settings by servicing" : "apply firmware settings by manual cleaning";
        default:
            return a.kind;
    }
}

/** Provisioning and power: the steps after registration, ports and traits are as the spec says. */
function provisioningStep(spec: HostSpec, node: Node): HostAction {
    const state = node.provision_state;
    const deployed = node.extra?.[EXTRA.deployment];
    const want = spec.deployment;

    // Claimed by a Machine (an Ironic allocation) and no image of our own: the Machine owns the
    // disk and the power from now on, as CAPM3 owns a consumed BareMetalHost. A label change on
    // the pool host must never power off, undeploy or redeploy the machine running on it.
    if (node.allocation_uuid && !want && !spec.externallyProvisioned) {
        const asked = rebootPending(spec, node) ? "rebootRequest" : inspectPending(spec, node) ? "inspectRequest" : undefined;
        if (asked) return { kind: "fail", message: `${asked}: the host is held by a Machine (Ironic allocation ${node.allocation_uuid}), which owns its power and disk; pulumi-metal3 will not ${asked === "rebootRequest" ? "reboot" : "inspect"} it from the host's program. Remove the ${asked} change` };
        return { kind: "done" };
    }

    switch (state) {
        case "enroll":
            return { kind: "provision", target: "manage", expect: ["manageable"], phase: "register", reason: "checking BMC credentials (manage)" };
        case "manageable":
            // Re-attached after a detach: the server still runs its deployment; describe it and adopt (never deploy).
            if (reattachingActive(node) && !spec.externallyProvisioned) {
                if (want && node.extra?.[EXTRA.reattach] === "active") {
                    const ops = [...instancePatch(node, want), { op: "add" as const, path: `/extra/${EXTRA.reattach}`, value: REATTACH_DESCRIBED }];
                    return { kind: "patch", ops, reason: "re-attaching: describing the deployment the server runs, for adoption" };
                }
                return { kind: "provision", target: "adopt", expect: ["active"], phase: "register", reason: "re-attaching: adopting the deployment the server runs (no deploy, no cleaning)" };
            }
            if (reattachingActive(node) || spec.externallyProvisioned) return { kind: "provision", target: "adopt", expect: ["active"], phase: "register", reason: "adopting an externally provisioned host" };
            if (inspectPending(spec, node) && canInspect(node)) {
                return { kind: "provision", target: "inspect", expect: ["manageable"], phase: "inspect", reason: `inspecting (inspectRequest "${spec.inspectRequest}")`, record: recordOp(EXTRA.inspect, spec.inspectRequest!) };
            }
            if (spec.inspectionMode !== "disabled" && !node.inspection_finished_at && canInspect(node)) {
                return { kind: "provision", target: "inspect", expect: ["manageable"], phase: "inspect", reason: "inspecting" };
            }
            if (raidPending(spec, node)) return { kind: "configure-raid" };
            if (firmwarePending(spec.firmware, node)) return { kind: "configure-firmware", via: "clean" };
            return { kind: "provision", target: "provide", expect: ["available"], phase: "clean", reason: `preparing (provide, automated cleaning)${inspectionSkipped(spec, node)}` };
        case "clean failed":
            // Still cleaning and still no agent: retrying fails the same way.
            if (missingAgentImages(node.last_error) && spec.automatedCleaningMode !== "disabled" && !Object.values(spec.deployImages).some((v) => v)) return { kind: "fail", message: agentImagesNeeded(spec.bmc, "automated cleaning (automatedCleaningMode: metadata)") };
            return { kind: "provision", target: "manage", expect: ["manageable"], phase: "register", reason: `recovering from ${state}` };
        case "inspect failed":
            return { kind: "provision", target: "manage", expect: ["manageable"], phase: "register", reason: `recovering from ${state}` };
        case "adopt failed":
            return spec.externallyProvisioned
                ? { kind: "provision", target: "adopt", expect: ["active"], phase: "register", reason: "retrying adoption" }
                : { kind: "provision", target: "manage", expect: ["manageable"], phase: "register", reason: "recovering from adopt failed" };
        case "available":
            if (spec.externallyProvisioned) return { kind: "provision", target: "manage", expect: ["manageable"], phase: "register", reason: "switching to externally provisioned" };
            if (raidPending(spec, node)) return { kind: "provision", target: "manage", expect: ["manageable"], phase: "register", reason: "RAID changed: back to manageable to apply it" };
            if (firmwarePending(spec.firmware, node)) return { kind: "provision", target: "manage", expect: ["manageable"], phase: "register", reason: "firmware settings changed: back to manageable to apply them (manual cleaning, no agent)" };
            if (inspectPending(spec, node) && canInspect(node)) return { kind: "provision", target: "manage", expect: ["manageable"], phase: "register", reason: `inspectRequest "${spec.inspectRequest}": back to manageable to inspect (then provide: automated cleaning per automatedCleaningMode)` };
            if (want && spec.online) return { kind: "deploy", rebuild: false, reason: "provisioning" };
            if (wantsPowerOff(spec, node)) return { kind: "power", target: "power off", reason: "available hosts wait powered off" };
            return { kind: "done" };
        case "deploy failed":
            // Ironic refuses a deploy_interface change in "deploy failed" (409): undeploy first.
            if (want && changesDeployInterface(node, want)) {
                return { kind: "undeploy", reason: "the deployment changes the deploy interface: deprovisioning the failed deployment first" };
            }
            if (want) return { kind: "deploy", rebuild: false, reason: "retrying the failed deployment" };
            return { kind: "undeploy", reason: "deprovisioning a failed deployment" };
        case "error":
            return { kind: "undeploy", reason: "retrying the failed deprovisioning" };
        case "active": {
            if (inspectPending(spec, node)) return { kind: "fail", message: inspectRefusal(spec) };
            if (spec.externallyProvisioned) {
                // Applying RAID means cleaning, which wipes a disk this project did not write.
                if (raidPending(spec, node)) return { kind: "fail", message: "RAID cannot be applied to an externally provisioned host (it would wipe it); remove raid, or deprovision the host first" };
                // Servicing: the host keeps its disk and its deployment; only a reboot.
                if (firmwarePending(spec.firmware, node)) return { kind: "configure-firmware", via: "service" };
                if (rebootPending(spec, node)) return rebootDecision(spec, node);
                return powerAsSpec(spec, node);
            }
            // Deployed by someone else (an adopted node): never wipe it on a guess.
            if (deployed === undefined) {
                return {
                    kind: "fail",
                    message:
                        "the node is active but was not provisioned by pulumi-metal3; set externallyProvisioned: true to manage it as it is, or deprovision it first",
                };
            }
            const record = readRecord(deployed, node);
            // Checked before "image removed": a node deployed by another resource (an adoption, a
            // lost state) is never undeployed on a guess, only when adoptForce said to take it.
            if (record.value !== want?.fingerprint && keyIdOf(record.value) !== undefined && keyIdOf(record.value) !== spec.digestKeyId && !spec.adoptForce) {
                // Recorded under another resource's digest key (its state was lost, or the node was
                // taken over): whether image or data changed cannot be told, so no wipe on a guess.
                return {
                    kind: "fail",
                    message:
                        "the node's deployment was recorded by another pulumi-metal3 resource (another digest key), so whether its image or data differ cannot be told; " +
                        "set externallyProvisioned: true to keep it as it is, or deprovision it first (baremetal node undeploy) to reprovision it",
                };
            }
            if (!want) return { kind: "undeploy", reason: "image removed: deprovisioning" };
            // RAID is built by cleaning, which only runs on the way back to available: a rebuild would ignore it.
            if (raidPending(spec, node)) return { kind: "undeploy", reason: "RAID changed: deprovisioning to apply it (then RAID, cleaning and a new deploy)" };
            // Ironic took the deploy but the run ended before the record could be written: write it.
            if (record.pending && record.accepted) return { kind: "patch", ops: [{ op: "add", path: `/extra/${EXTRA.deployment}`, value: record.value }], reason: "recording the deployment Ironic accepted" };
            if (record.value !== want.fingerprint || record.pending) {
                if (!spec.online) return { kind: "undeploy", reason: "image or data changed while offline: deprovisioning" };
                const needsInterfaceChange = deployInterfaceFor(node, { image: want.image, customDeploy: want.customDeploy }) !== undefined;
                return needsInterfaceChange
                    ? { kind: "undeploy", reason: "image or data changed (deploy interface changes: undeploy, then deploy)" }
                    : { kind: "deploy", rebuild: true, reason: "image or data changed: reprovisioning (rebuild)" };
            }
            if (firmwarePending(spec.firmware, node)) return { kind: "configure-firmware", via: "service" };
            if (rebootPending(spec, node)) return rebootDecision(spec, node);
            return powerAsSpec(spec, node);
        }
        default:
            return { kind: "fail", message: `the node is in provision state "${state}", which pulumi-metal3 does not handle` };
    }
}

/** The node has a deploy interface the deployment cannot use (switching it needs `available`). */
function changesDeployInterface(node: Node, want: NonNullable<HostSpec["deployment"]>): boolean {
    const needed = deployInterfaceFor(node, { image: want.image, customDeploy: want.customDeploy });
    return needed === null || (needed !== undefined && needed !== node.deploy_interface);
}

/** An inspect interface that can inspect ("no-inspect" is Ironic's way of saying none can). */
function canInspect(node: Node): boolean {
    return !!node.inspect_interface && node.inspect_interface !== "no-inspect";
}

/** Said with the provide step when inspection was asked for but this Ironic cannot do it for this driver. */
function inspectionSkipped(spec: HostSpec, node: Node): string {
    if (spec.inspectionMode === "disabled" || node.inspection_finished_at || canInspect(node)) return "";
    return `; inspection skipped: Ironic has no inspect interface for driver ${node.driver} (inspect_interface "${node.inspect_interface}"; enable "inspector" or "agent" in Ironic, or set inspectionMode: disabled), hardware details stay empty`;
}

function powerAsSpec(spec: HostSpec, node: Node): HostAction {
    if (spec.online && node.power_state !== "power on") return { kind: "power", target: "power on", reason: "online: true" };
    if (!spec.online && wantsPowerOff(spec, node)) return { kind: "power", target: "power off", reason: "online: false", ...(spec.powerOffMode === "soft" ? { mode: "soft" as const } : {}) };
    return { kind: "done" };
}

/** What a delete needs from the spec (the old outputs carry it). */
export interface DeleteSpec {
    disablePowerOff: boolean;
    externallyProvisioned: boolean;
}

/** The claim on a node, when Machines hold it: whose it is, for the refusal. */
function claimText(node: Node, holder: AllocationHolder | undefined): string {
    if (!holder) return `Ironic allocation ${node.allocation_uuid}`;
    const machine = holder.machine ? `Machine ${holder.machine}` : "a claim";
    return `${machine} (Ironic allocation ${holder.name ?? holder.uuid}, ${holder.uuid}, owner ${holder.owner ?? "not recorded"}${holder.cluster ? `, cluster ${holder.cluster}` : ""})`;
}

/**
 * The next step to remove the host from Ironic, as BMO's delete path (REFERENCE §6.3 Delete).
 * `holder`: the allocation named by node.allocation_uuid, when there is one.
 */
export function nextDeleteAction(spec: DeleteSpec, node: Node | undefined, holder?: AllocationHolder): HostAction {
    if (!node) return { kind: "done" };
    const state = node.provision_state;
    // Someone else's machine runs there (possibly another stack's): never undeploy, clean or power it off.
    if (node.allocation_uuid) {
        return {
            kind: "fail",
            message:
                `the host is claimed by ${claimText(node, holder)}; deleting or replacing it would wipe and power off that machine. ` +
                `Delete the Machine first (its program or \`pulumi destroy\` of its stack, Machines before hosts), then retry`,
        };
    }
    const maintenance = maintenanceBy(node);
    if (maintenance === "operator") return { kind: "fail", message: operatorMaintenanceMessage(node, "deprovision, power off or delete it") };
    // Waiting for an agent's call-back: undeploy at once (Ironic allows it) instead of waiting for "active".
    if (state === "wait call-back") {
        return { kind: "undeploy", reason: "deprovisioning a deployment that waits for the agent's call-back, before delete" };
    }
    if (state === "inspect wait" || state === "clean wait") {
        return { kind: "provision", target: "abort", expect: [state === "inspect wait" ? "inspect failed" : "clean failed", "manageable"], phase: "delete", reason: `aborting ${state}` };
    }
    const waiting = busy(node);
    if (waiting) return { ...waiting, phase: "delete" } as HostAction;
    switch (state) {
        case "active":
            if (spec.externallyProvisioned) {
                if (!node.maintenance) return { kind: "set-maintenance", reason: ownMaintenanceReason("deleting an externally provisioned host without deprovisioning") };
                return { kind: "delete-node" };
            }
            if (maintenance === "ours") return { kind: "unset-maintenance" };
            return { kind: "undeploy", reason: "deprovisioning before delete" };
        case "deploy failed":
            if (maintenance === "ours") return { kind: "unset-maintenance" };
            return { kind: "undeploy", reason: `deprovisioning (${state}) before delete` };
        case "error":
            // A failed deprovisioning: retrying it fails again. Delete as BMO does, through
            // maintenance, and never clear a maintenance someone set by hand.
            if (!node.maintenance) return { kind: "set-maintenance", reason: ownMaintenanceReason("forcing deletion after a failed deprovisioning") };
            return { kind: "delete-node" };
        case "enroll":
            return { kind: "delete-node" };
        case "available":
        case "manageable":
            if (!node.maintenance && wantsPowerOff(spec as HostSpec, node) && node.power_state === "power on") {
                return { kind: "power", target: "power off", reason: "powering off before delete" };
            }
            if (node.instance_uuid && !node.allocation_uuid) return { kind: "patch", ops: [{ op: "remove", path: "/instance_uuid" }], reason: "clearing a stale instance_uuid" };
            return { kind: "delete-node" };
        default:
            // Failed states Ironic will not delete from: force it as BMO does.
            if (!node.maintenance) return { kind: "set-maintenance", reason: ownMaintenanceReason("forcing deletion from a failed state") };
            return { kind: "delete-node" };
    }
}

// ---- the deploy and undeploy paths (provision.ts carries them out: one Ironic call per step) -----

/** The provision target of a deploy from `state` (rebuild on an active node), undefined where Ironic cannot deploy. */
export function deployTarget(state: string): "active" | "rebuild" | undefined {
    if (state === "active") return "rebuild";
    if (state === "available" || state === "deploy failed") return "active";
    return undefined;
}

/**
 * Before a deploy or undeploy: Ironic refuses provision changes on nodes in maintenance. As BMO,
 * ours (or none given by a fault) is unset; a fault Ironic recorded, or an operator's
 * maintenance (any reason not ours), is refused and never cleared.
 */
export function maintenanceBeforeProvisioning(node: Pick<Node, "maintenance" | "maintenance_reason" | "fault">): "none" | "unset" | "refuse-fault" | "refuse-operator" {
    if (!node.maintenance) return "none";
    if (node.fault) return "refuse-fault";
    return maintenanceBy(node) === "operator" ? "refuse-operator" : "unset";
}

/** One provision step of an undeploy, from where the node is, on its way to `available`. */
export type UndeployStep =
    | { kind: "done" }
    /** Ask for `target`, then wait for `waitFor`. */
    | { kind: "provision"; target: "deleted" | "manage" | "provide"; waitFor: "available" | "manageable" }
    /** The conductor is at work: wait for `available`. */
    | { kind: "wait"; waitFor: "available" }
    /** Ironic cannot undeploy from here. */
    | { kind: "fail" };

/**
 * The next undeploy step (BMO's deprovision): tear down a deployment (also a failed one, or one
 * waiting for the agent); after a failed clean, manage then provide again (Ironic leaves
 * maintenance set after it: unset first, see maintenanceBeforeProvisioning).
 */
export function undeployStep(state: string): UndeployStep {
    if (state === "available") return { kind: "done" };
    if (state === "active" || state === "deploy failed" || state === "wait call-back" || state === "error") return { kind: "provision", target: "deleted", waitFor: "available" };
    if (state === "clean failed" || state === "enroll") return { kind: "provision", target: "manage", waitFor: "manageable" };
    if (state === "manageable") return { kind: "provision", target: "provide", waitFor: "available" };
    if (isTransientProvisionState(state)) return { kind: "wait", waitFor: "available" };
    return { kind: "fail" };
}
