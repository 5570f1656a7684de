// Registration: what must be patched so the Ironic node matches the spec (name, driver and
// interfaces, BMC credentials, cleaning, capabilities, labels, the owner record). Pure; the
// lifecycle (lifecycle.ts nextAction) asks it first, before any provisioning step.
import type { JsonPatchOp, Node } from "../ironic/types";
import { capabilitiesWithBootMode } from "./instance";
import type { HostSpec } from "./spec";
import { sameJson } from "../canonical-json";
import { EXTRA, extraObject } from "../extra-keys";
import { OWNER_MAC_KEY, ownerMac } from "../owner-record";
import { bmcDrift } from "./bmc";
import { rebootPending, recordOp } from "./day-two";
import { ownMaintenanceReason } from "./maintenance";

/** driver_info keys that belong to a BMC family (replaced together on a BMC change). */
const BMC_KEY = /^(ipmi|redfish)_/;

/** Ironic changes a node's driver and interfaces only in these states, or in maintenance (conductor update_node). */
export const INTERFACE_CHANGE_STATES = new Set(["enroll", "inspecting", "inspect wait", "manageable", "available"]);

/** Ironic's hardware interface fields (firmware_interface from API 1.86). */
const INTERFACE_FIELDS = [
    "bios",
    "boot",
    "console",
    "deploy",
    "firmware",
    "inspect",
    "management",
    "network",
    "power",
    "raid",
    "rescue",
    "storage",
    "vendor",
].map((i) => `${i}_interface`);

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
export function changesInterfaces(ops: JsonPatchOp[]): boolean {
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
    if (spec.deployment?.legacyFingerprint && recordedDeployment === spec.deployment.legacyFingerprint)
        set(`/extra/${EXTRA.deployment}`, spec.deployment.fingerprint);
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

/** inspect_interface per inspectionMode; undefined = Ironic's default (a Metal³ Ironic defaults to agent). */
export function inspectInterface(spec: HostSpec): string | undefined {
    if (spec.bmc.isFake) return "fake";
    if (spec.inspectionMode === "fast") return spec.bmc.fastInspectInterface;
    return undefined;
}
