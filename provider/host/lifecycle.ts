// THE host lifecycle decision: given what the program wants (HostSpec) and what Ironic shows
// (the node and its ports), which single step comes next. Pure, like BMO's host state machine:
// converge.ts performs the step through the Ironic client and asks again. Nothing else decides
// lifecycle steps.
import type { JsonPatchOp, Node, Port, ProvisionTarget } from "../ironic/types";
import { capabilitiesWithBootMode, deployInterfaceFor } from "./instance";
import { keyIdOf } from "./desired";
import type { HostSpec } from "./spec";
import { FAILED_STATES, TRANSIENT_STATES } from "./states";

/** Keys this provider keeps in node.extra. */
export const EXTRA = {
    managed: "pulumi_metal3_managed",
    bmcFingerprint: "pulumi_metal3_bmc",
    deployment: "pulumi_metal3_deployment",
    raid: "pulumi_metal3_raid",
    labels: "metal3_labels",
} as const;

/** Which per-phase deadline a step runs under. */
export type Phase = "register" | "inspect" | "clean" | "deploy" | "deprovision" | "power" | "delete";

export type HostAction =
    | { kind: "enrol" }
    | { kind: "patch"; ops: JsonPatchOp[]; reason: string }
    | { kind: "create-port"; address: string }
    | { kind: "set-traits"; traits: string[] }
    | { kind: "unset-maintenance" }
    | { kind: "set-maintenance"; reason: string }
    /** A provision-state change, then a wait for `expect`. */
    | { kind: "provision"; target: ProvisionTarget; expect: string[]; phase: Phase; reason: string }
    /** Deploy (from available / deploy failed) or rebuild (from active) with the desired deployment. */
    | { kind: "deploy"; rebuild: boolean; reason: string }
    /** Undeploy to available (cleaning per mode), then power off unless disablePowerOff. */
    | { kind: "undeploy"; reason: string }
    | { kind: "power"; target: "power on" | "power off"; reason: string }
    /** Ironic is busy: wait until it reaches one of `expect`. */
    | { kind: "wait"; expect: string[]; phase: Phase; reason: string }
    /** Apply spec.raid: target_raid_config + manual cleaning (manageable → manageable). */
    | { kind: "configure-raid" }
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

function asLabels(value: unknown): Record<string, string> {
    if (typeof value === "string") {
        try {
            value = JSON.parse(value);
        } catch {
            return {};
        }
    }
    return value && typeof value === "object" ? (value as Record<string, string>) : {};
}

function sameJson(a: unknown, b: unknown): boolean {
    return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)]));
    return v;
}

/** driver_info keys that belong to a BMC family (replaced together on a BMC change). */
const BMC_KEY = /^(ipmi|redfish)_/;

/**
 * Registration drift: what must be patched so the node matches the spec (name, driver,
 * interfaces, credentials, cleaning, capabilities, description, resource class, labels).
 * Possible in any non-busy state; interface changes only outside `active`.
 */
export function registrationPatch(spec: HostSpec, node: Node): JsonPatchOp[] {
    const ops: JsonPatchOp[] = [];
    const set = (path: string, value: unknown) => ops.push({ op: "add", path, value });
    if (node.name !== spec.nodeName) set("/name", spec.nodeName);
    const canChangeInterfaces = node.provision_state !== "active";
    if (canChangeInterfaces) {
        if (node.driver !== spec.bmc.driver) set("/driver", spec.bmc.driver);
        for (const [field, value] of Object.entries(spec.bmc.interfaces)) {
            if (value !== undefined && (node as unknown as Record<string, unknown>)[field] !== value) set(`/${field}`, value);
        }
        const inspect = inspectInterface(spec);
        if (inspect && node.inspect_interface !== inspect) set("/inspect_interface", inspect);
    }
    const recordedBmc = node.extra?.[EXTRA.bmcFingerprint];
    if (recordedBmc === spec.legacyBmcFingerprint && recordedBmc !== undefined && node.driver === spec.bmc.driver) {
        // Recorded by a release before keyed digests, for these very credentials: re-fingerprint
        // only, the BMC settings stay untouched.
        set(`/extra/${EXTRA.bmcFingerprint}`, spec.bmcFingerprint);
    } else if (recordedBmc !== spec.bmcFingerprint || node.driver !== spec.bmc.driver) {
        for (const key of Object.keys(node.driver_info ?? {})) {
            if (BMC_KEY.test(key) && !(key in spec.bmc.driverInfo)) ops.push({ op: "remove", path: `/driver_info/${key}` });
        }
        for (const [key, value] of Object.entries(spec.bmc.driverInfo)) set(`/driver_info/${key}`, value);
        set(`/extra/${EXTRA.bmcFingerprint}`, spec.bmcFingerprint);
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
    if (!sameJson(asLabels(node.extra?.[EXTRA.labels]), spec.labels)) set(`/extra/${EXTRA.labels}`, spec.labels);
    // The same deployment recorded in the unkeyed form of older releases: re-record, never reprovision.
    const recordedDeployment = node.extra?.[EXTRA.deployment];
    if (spec.deployment?.legacyFingerprint && recordedDeployment === spec.deployment.legacyFingerprint) set(`/extra/${EXTRA.deployment}`, spec.deployment.fingerprint);
    return ops;
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
    if (!observed) return { kind: "enrol" };
    const { node, ports } = observed;
    const state = node.provision_state;

    const waiting = busy(node);
    if (waiting) return waiting;

    if (node.maintenance && (!node.fault || FAILED_STATES.has(state))) return { kind: "unset-maintenance" };
    if (node.maintenance) return { kind: "fail", message: `the node is in maintenance because of fault "${node.fault}" (${node.maintenance_reason ?? "no reason given"})` };

    const ops = registrationPatch(spec, node);
    if (ops.length) return { kind: "patch", ops, reason: "registration" };

    if (spec.bootMACAddress && PORT_STATES.has(state)) {
        const mac = spec.bootMACAddress.toLowerCase();
        if (!ports.some((p) => p.address.toLowerCase() === mac)) return { kind: "create-port", address: mac };
    }
    const traits = [...spec.traits].sort();
    if (!sameJson([...(node.traits ?? [])].sort(), traits)) return { kind: "set-traits", traits };

    const deployed = node.extra?.[EXTRA.deployment];
    const want = spec.deployment;

    // Claimed by a Machine (an Ironic allocation) and no image of our own: the Machine owns the
    // disk and the power from now on, as CAPM3 owns a consumed BareMetalHost. A label change on
    // the pool host must never power off, undeploy or redeploy the machine running on it.
    if (node.allocation_uuid && !want && !spec.externallyProvisioned) return { kind: "done" };

    switch (state) {
        case "enroll":
            return { kind: "provision", target: "manage", expect: ["manageable"], phase: "register", reason: "checking BMC credentials (manage)" };
        case "manageable":
            if (spec.externallyProvisioned) return { kind: "provision", target: "adopt", expect: ["active"], phase: "register", reason: "adopting an externally provisioned host" };
            if (spec.inspectionMode !== "disabled" && !node.inspection_finished_at) {
                return { kind: "provision", target: "inspect", expect: ["manageable"], phase: "inspect", reason: "inspecting" };
            }
            if (raidPending(spec, node)) return { kind: "configure-raid" };
            return { kind: "provision", target: "provide", expect: ["available"], phase: "clean", reason: "preparing (provide, automated cleaning)" };
        case "inspect failed":
        case "clean failed":
            return { kind: "provision", target: "manage", expect: ["manageable"], phase: "register", reason: `recovering from ${state}` };
        case "adopt failed":
            return spec.externallyProvisioned
                ? { kind: "provision", target: "adopt", expect: ["active"], phase: "register", reason: "retrying adoption" }
                : { kind: "provision", target: "manage", expect: ["manageable"], phase: "register", reason: "recovering from adopt failed" };
        case "available":
            if (spec.externallyProvisioned) return { kind: "provision", target: "manage", expect: ["manageable"], phase: "register", reason: "switching to externally provisioned" };
            if (raidPending(spec, node)) return { kind: "provision", target: "manage", expect: ["manageable"], phase: "register", reason: "RAID changed: back to manageable to apply it" };
            if (want && spec.online) return { kind: "deploy", rebuild: false, reason: "provisioning" };
            if (wantsPowerOff(spec, node)) return { kind: "power", target: "power off", reason: "available hosts wait powered off" };
            return { kind: "done" };
        case "deploy failed":
            if (want) return { kind: "deploy", rebuild: false, reason: "retrying the failed deployment" };
            return { kind: "undeploy", reason: "deprovisioning a failed deployment" };
        case "error":
            return { kind: "undeploy", reason: "retrying the failed deprovisioning" };
        case "active": {
            if (spec.externallyProvisioned) return powerAsSpec(spec, node);
            // Deployed by someone else (an adopted node): never wipe it on a guess.
            if (deployed === undefined) {
                return {
                    kind: "fail",
                    message:
                        "the node is active but was not provisioned by pulumi-metal3; set externallyProvisioned: true to manage it as it is, or deprovision it first",
                };
            }
            if (!want) return { kind: "undeploy", reason: "image removed: deprovisioning" };
            if (deployed !== want.fingerprint && keyIdOf(deployed) !== undefined && keyIdOf(deployed) !== spec.digestKeyId) {
                // Recorded under another resource's digest key (its state was lost, or the node was
                // taken over): whether image or data changed cannot be told, so no wipe on a guess.
                return {
                    kind: "fail",
                    message:
                        "the node's deployment was recorded by another pulumi-metal3 resource (another digest key), so whether its image or data differ cannot be told; " +
                        "set externallyProvisioned: true to keep it as it is, or deprovision it first (baremetal node undeploy) to reprovision it",
                };
            }
            if (deployed !== want.fingerprint) {
                if (!spec.online) return { kind: "undeploy", reason: "image or data changed while offline: deprovisioning" };
                const needsInterfaceChange = deployInterfaceFor(node, { image: want.image, customDeploy: want.customDeploy }) !== undefined;
                return needsInterfaceChange
                    ? { kind: "undeploy", reason: "image or data changed (deploy interface changes: undeploy, then deploy)" }
                    : { kind: "deploy", rebuild: true, reason: "image or data changed: reprovisioning (rebuild)" };
            }
            return powerAsSpec(spec, node);
        }
        default:
            return { kind: "fail", message: `the node is in provision state "${state}", which pulumi-metal3 does not handle` };
    }
}

function powerAsSpec(spec: HostSpec, node: Node): HostAction {
    if (spec.online && node.power_state !== "power on") return { kind: "power", target: "power on", reason: "online: true" };
    if (!spec.online && wantsPowerOff(spec, node)) return { kind: "power", target: "power off", reason: "online: false" };
    return { kind: "done" };
}

/** What a delete needs from the spec (the old outputs carry it). */
export interface DeleteSpec {
    disablePowerOff: boolean;
    externallyProvisioned: boolean;
}

/** The next step to remove the host from Ironic, as BMO's delete path (REFERENCE §6.3 Delete). */
export function nextDeleteAction(spec: DeleteSpec, node: Node | undefined): HostAction {
    if (!node) return { kind: "done" };
    const state = node.provision_state;
    if (state === "inspect wait" || state === "clean wait") {
        return { kind: "provision", target: "abort", expect: [state === "inspect wait" ? "inspect failed" : "clean failed", "manageable"], phase: "delete", reason: `aborting ${state}` };
    }
    const waiting = busy(node);
    if (waiting) return { ...waiting, phase: "delete" } as HostAction;
    switch (state) {
        case "active":
            if (spec.externallyProvisioned) {
                if (!node.maintenance) return { kind: "set-maintenance", reason: "deleting an externally provisioned host without deprovisioning" };
                return { kind: "delete-node" };
            }
            if (node.maintenance && !node.fault) return { kind: "unset-maintenance" };
            return { kind: "undeploy", reason: "deprovisioning before delete" };
        case "deploy failed":
        case "error":
            if (node.maintenance && !node.fault) return { kind: "unset-maintenance" };
            return { kind: "undeploy", reason: `deprovisioning (${state}) before delete` };
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
            if (!node.maintenance) return { kind: "set-maintenance", reason: "forcing deletion in pulumi-metal3" };
            return { kind: "delete-node" };
    }
}
