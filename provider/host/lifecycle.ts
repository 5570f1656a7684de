// THE host lifecycle decision: given what the program wants (HostSpec) and what Ironic shows
// (the node and its ports), which single step comes next. Pure, like BMO's host state machine:
// converge.ts performs the step through the Ironic client and asks again. Nothing else decides
// lifecycle steps. What it builds on, each in its own module: registration.ts (the node's
// registration patch), takeover.ts (whose node it is, take-over and adoption), maintenance.ts
// (whose maintenance), records.ts (the deployment record's format), day-two.ts (requests, detach).
// The node.extra keys are defined with the other extra keys (../extra-keys), re-exported here.
export { EXTRA };
import type { JsonPatchOp, Node, Port, ProvisionTarget, VirtualMedia } from "../ironic/types";
import type { AllocationHolder } from "../claim/allocation";
import { deployInterfaceFor, instancePatch } from "./instance";
import { keyIdOf } from "./desired";
import type { HostSpec } from "./spec";
import { FAILED_STATES, TRANSIENT_STATES } from "./states";
import { isTransientProvisionState } from "../ironic/provision-states";
import { sameJson } from "../canonical-json";
import { stepText } from "./words";
import { EXTRA } from "../extra-keys";
import { agentImagesNeeded, bmcDrift, missingAgentImages } from "./bmc";
import { firmwarePending } from "./firmware";
import { inspectPending, inspectRefusal, nextDetachStep, REATTACH_DESCRIBED, reattachingActive, rebootDecision, rebootPending, recordOp } from "./day-two";
import { maintenanceBy, operatorMaintenanceMessage, ownMaintenanceReason } from "./maintenance";
import { readRecord } from "./records";
import { changesInterfaces, DRIVER_SWITCH_MAINTENANCE, INTERFACE_CHANGE_STATES, registrationPatch } from "./registration";
import { claimText } from "./takeover";
import { dataImageStep, recordedDataImage } from "./data-image";

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
    /** Insert the data image `url` in the provisioned host's virtual CD (data-image.ts), then record it. No reboot. */
    | { kind: "attach-data-image"; url: string; reason: string }
    /** Eject the data image `url` from the host's virtual CD, then remove its record. */
    | { kind: "detach-data-image"; url: string; reason: string }
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
    /** The BMC's virtual media (Ironic's GET vmedia), looked at only when a data image is wanted or recorded. */
    vmedia?: VirtualMedia[];
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
    if (maintenance === "ironic")
        return { kind: "fail", message: `the node is in maintenance because of fault "${node.fault}" (${node.maintenance_reason ?? "no reason given"})` };

    const ops = registrationPatch(spec, node);
    if (ops.length && changesInterfaces(ops) && !INTERFACE_CHANGE_STATES.has(state)) {
        return {
            kind: "patch",
            ops,
            reason: `BMC driver switch in place (in maintenance, as Ironic requires on a node in "${state}")`,
            inMaintenance: DRIVER_SWITCH_MAINTENANCE,
        };
    }
    const drift = node.driver === spec.bmc.driver ? bmcDrift(spec.bmc, node.driver_info) : [];
    if (ops.length && drift.length) {
        return {
            kind: "patch",
            ops,
            reason: `the node's BMC settings were changed outside pulumi-metal3 (${drift.join("; ")}): putting the declared BMC back`,
        };
    }
    if (ops.length) return { kind: "patch", ops, reason: "registration" };

    if (spec.bootMACAddress && PORT_STATES.has(state)) {
        const mac = spec.bootMACAddress.toLowerCase();
        if (!ports.some((p) => p.address.toLowerCase() === mac)) return { kind: "create-port", address: mac };
    }
    const traits = [...spec.traits].sort();
    if (!sameJson([...(node.traits ?? [])].sort(), traits)) return { kind: "set-traits", traits };

    const step = provisioningStep(spec, node, observed.vmedia);
    if (maintenance === "operator" && step.kind !== "done")
        return { kind: "fail", message: operatorMaintenanceMessage(node, `take its next step (${stepText(step, { reason: true })})`) };
    return step;
}

/** Provisioning and power: the steps after registration, ports and traits are as the spec says. */
function provisioningStep(spec: HostSpec, node: Node, vmedia?: VirtualMedia[]): HostAction {
    const state = node.provision_state;
    const deployed = node.extra?.[EXTRA.deployment];
    const want = spec.deployment;

    // Claimed by a Machine (an Ironic allocation) and no image of our own: the Machine owns the
    // disk and the power from now on, as CAPM3 owns a consumed BareMetalHost. A label change on
    // the pool host must never power off, undeploy or redeploy the machine running on it.
    if (node.allocation_uuid && !want && !spec.externallyProvisioned) {
        const asked = rebootPending(spec, node) ? "rebootRequest" : inspectPending(spec, node) ? "inspectRequest" : undefined;
        if (asked)
            return {
                kind: "fail",
                message: `${asked}: the host is held by a Machine (Ironic allocation ${node.allocation_uuid}), which owns its power and disk; pulumi-metal3 will not ${asked === "rebootRequest" ? "reboot" : "inspect"} it from the host's program. Remove the ${asked} change`,
            };
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
                return {
                    kind: "provision",
                    target: "adopt",
                    expect: ["active"],
                    phase: "register",
                    reason: "re-attaching: adopting the deployment the server runs (no deploy, no cleaning)",
                };
            }
            if (reattachingActive(node) || spec.externallyProvisioned)
                return { kind: "provision", target: "adopt", expect: ["active"], phase: "register", reason: "adopting an externally provisioned host" };
            if (inspectPending(spec, node) && canInspect(node)) {
                return {
                    kind: "provision",
                    target: "inspect",
                    expect: ["manageable"],
                    phase: "inspect",
                    reason: `inspecting (inspectRequest "${spec.inspectRequest}")`,
                    record: recordOp(EXTRA.inspect, spec.inspectRequest!),
                };
            }
            if (spec.inspectionMode !== "disabled" && !node.inspection_finished_at && canInspect(node)) {
                return { kind: "provision", target: "inspect", expect: ["manageable"], phase: "inspect", reason: "inspecting" };
            }
            if (raidPending(spec, node)) return { kind: "configure-raid" };
            if (firmwarePending(spec.firmware, node)) return { kind: "configure-firmware", via: "clean" };
            return {
                kind: "provision",
                target: "provide",
                expect: ["available"],
                phase: "clean",
                reason: `preparing (provide, automated cleaning)${inspectionSkipped(spec, node)}`,
            };
        case "clean failed":
            // Still cleaning and still no agent: retrying fails the same way.
            if (missingAgentImages(node.last_error) && spec.automatedCleaningMode !== "disabled" && !Object.values(spec.deployImages).some((v) => v))
                return { kind: "fail", message: agentImagesNeeded(spec.bmc, "automated cleaning (automatedCleaningMode: metadata)") };
            return { kind: "provision", target: "manage", expect: ["manageable"], phase: "register", reason: `recovering from ${state}` };
        case "inspect failed":
            return { kind: "provision", target: "manage", expect: ["manageable"], phase: "register", reason: `recovering from ${state}` };
        case "adopt failed":
            return spec.externallyProvisioned
                ? { kind: "provision", target: "adopt", expect: ["active"], phase: "register", reason: "retrying adoption" }
                : { kind: "provision", target: "manage", expect: ["manageable"], phase: "register", reason: "recovering from adopt failed" };
        case "available":
            if (spec.externallyProvisioned)
                return { kind: "provision", target: "manage", expect: ["manageable"], phase: "register", reason: "switching to externally provisioned" };
            if (raidPending(spec, node))
                return {
                    kind: "provision",
                    target: "manage",
                    expect: ["manageable"],
                    phase: "register",
                    reason: "RAID changed: back to manageable to apply it",
                };
            if (firmwarePending(spec.firmware, node))
                return {
                    kind: "provision",
                    target: "manage",
                    expect: ["manageable"],
                    phase: "register",
                    reason: "firmware settings changed: back to manageable to apply them (manual cleaning, no agent)",
                };
            if (inspectPending(spec, node) && canInspect(node))
                return {
                    kind: "provision",
                    target: "manage",
                    expect: ["manageable"],
                    phase: "register",
                    reason: `inspectRequest "${spec.inspectRequest}": back to manageable to inspect (then provide: automated cleaning per automatedCleaningMode)`,
                };
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
                if (raidPending(spec, node))
                    return {
                        kind: "fail",
                        message: "RAID cannot be applied to an externally provisioned host (it would wipe it); remove raid, or deprovision the host first",
                    };
                // Servicing: the host keeps its disk and its deployment; only a reboot.
                if (firmwarePending(spec.firmware, node)) return firmwareByServicing(spec);
                const dataImage = dataImageAction(spec, node, vmedia);
                if (dataImage) return dataImage;
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
            if (record.pending && record.accepted)
                return {
                    kind: "patch",
                    ops: [{ op: "add", path: `/extra/${EXTRA.deployment}`, value: record.value }],
                    reason: "recording the deployment Ironic accepted",
                };
            if (record.value !== want.fingerprint || record.pending) {
                if (!spec.online) return { kind: "undeploy", reason: "image or data changed while offline: deprovisioning" };
                const needsInterfaceChange = deployInterfaceFor(node, { image: want.image, customDeploy: want.customDeploy }) !== undefined;
                return needsInterfaceChange
                    ? { kind: "undeploy", reason: "image or data changed (deploy interface changes: undeploy, then deploy)" }
                    : { kind: "deploy", rebuild: true, reason: "image or data changed: reprovisioning (rebuild)" };
            }
            if (firmwarePending(spec.firmware, node)) return firmwareByServicing(spec);
            // Before a reboot: the boot it asks for sees the data image (BMO attaches before powering on).
            const dataImage = dataImageAction(spec, node, vmedia);
            if (dataImage) return dataImage;
            if (rebootPending(spec, node)) return rebootDecision(spec, node);
            return powerAsSpec(spec, node);
        }
        case "service failed":
            // Ironic leaves "service failed" only by servicing again (its state machine has no abort
            // from there: ironic/common/state_machine.py). Settings still to apply: service again, and
            // a failure again names Ironic's error. Nothing pending: nothing this program could retry.
            if (firmwarePending(spec.firmware, node)) return { kind: "configure-firmware", via: "service" };
            return {
                kind: "fail",
                message:
                    `servicing failed (Ironic: ${node.last_error ?? "no error recorded"}); the server still runs its deployment, untouched by pulumi-metal3. ` +
                    `Ironic leaves "service failed" only through a servicing that succeeds: change firmware.settings to values the BMC accepts and run pulumi again, ` +
                    `or service the node by hand (\`baremetal node service ${node.name ?? node.uuid} --service-steps ...\`)`,
            };
        default:
            return {
                kind: "fail",
                message:
                    `the node is in provision state "${state}", which pulumi-metal3 does not handle${node.last_error ? ` (Ironic: ${node.last_error})` : ""}; ` +
                    `bring it back to available, manageable or active with \`baremetal\` (e.g. \`baremetal node unrescue ${node.name ?? node.uuid}\` after a rescue) and run pulumi again`,
            };
    }
}

/** The provisioned host's data image step (data-image.ts), as a lifecycle action; undefined: nothing to do. */
function dataImageAction(spec: HostSpec, node: Node, vmedia?: VirtualMedia[]): HostAction | undefined {
    const step = dataImageStep(spec, node, vmedia);
    switch (step.kind) {
        case "none":
            return undefined;
        case "attach":
            return { kind: "attach-data-image", url: step.url, reason: step.reason };
        case "detach":
            return { kind: "detach-data-image", url: step.url, reason: step.reason };
        case "forget":
            return { kind: "patch", ops: step.ops, reason: step.reason };
        case "fail":
            return step;
    }
}

/**
 * Firmware settings on a provisioned host: servicing (no wipe, a reboot) when the host's
 * updatePolicy allows it, as Metal³'s HostUpdatePolicy does; otherwise refused (at preview too).
 */
function firmwareByServicing(spec: HostSpec): HostAction {
    if (spec.serviceFirmware) return { kind: "configure-firmware", via: "service" };
    return {
        kind: "fail",
        message:
            "firmware.settings changed on a provisioned host: applying them means servicing it (no wipe; the host reboots), which its updatePolicy does not allow. " +
            'Set updatePolicy: { firmwareSettings: "onReboot" } (Metal³\'s HostUpdatePolicy) to allow it, or keep firmware.settings as they were',
    };
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
    if (!spec.online && wantsPowerOff(spec, node))
        return { kind: "power", target: "power off", reason: "online: false", ...(spec.powerOffMode === "soft" ? { mode: "soft" as const } : {}) };
    return { kind: "done" };
}

/** What a delete needs from the spec (the old outputs carry it). */
export interface DeleteSpec {
    disablePowerOff: boolean;
    externallyProvisioned: boolean;
}

/**
 * The next step to remove the host from Ironic, as baremetal-operator's delete path (its pkg/provisioner/ironic/ironic.go, Delete).
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
        return {
            kind: "provision",
            target: "abort",
            expect: [state === "inspect wait" ? "inspect failed" : "clean failed", "manageable"],
            phase: "delete",
            reason: `aborting ${state}`,
        };
    }
    const waiting = busy(node);
    if (waiting) return { ...waiting, phase: "delete" } as HostAction;
    switch (state) {
        case "active":
            // The data image attached by this host is ejected first: nothing else takes it out of
            // the BMC's virtual CD once the node is gone (an undeploy through virtual media would, not one through PXE).
            {
                const dataImage = recordedDataImage(node);
                if (dataImage && !node.maintenance) return { kind: "detach-data-image", url: dataImage, reason: "deleting the host" };
            }
            if (spec.externallyProvisioned) {
                if (!node.maintenance)
                    return { kind: "set-maintenance", reason: ownMaintenanceReason("deleting an externally provisioned host without deprovisioning") };
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
            if (node.instance_uuid && !node.allocation_uuid)
                return { kind: "patch", ops: [{ op: "remove", path: "/instance_uuid" }], reason: "clearing a stale instance_uuid" };
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
    if (state === "active" || state === "deploy failed" || state === "wait call-back" || state === "error")
        return { kind: "provision", target: "deleted", waitFor: "available" };
    if (state === "clean failed" || state === "enroll") return { kind: "provision", target: "manage", waitFor: "manageable" };
    if (state === "manageable") return { kind: "provision", target: "provide", waitFor: "available" };
    if (isTransientProvisionState(state)) return { kind: "wait", waitFor: "available" };
    return { kind: "fail" };
}
