// Data images: an ISO kept in a provisioned host's virtual CD (Metal³'s DataImage, spec.url:
// baremetal-operator apis/metal3.io/v1alpha1/dataimage_types.go), attached and ejected through
// Ironic's virtual media API (POST/DELETE /v1/nodes/{id}/vmedia, API 1.89; GET 1.93). No wipe, no
// reprovision, no reboot: the running host sees the CD inserted; a rebootRequest in the same
// update reboots after the attach, so the boot sees it.
//
// Like baremetal-operator (internal/controller/metal3.io/baremetalhost_controller.go
// manageHostPower → handleDataImageActions), only a provisioned host (Ironic "active", deployed or
// externally provisioned) gets one; on any other host the data image waits until it is
// provisioned. Unlike it, the attach happens in the update that asks for it, not at the host's
// next power-on (BMO handles data images only while a provisioned host is off and should be on).
//
// Pure: the lifecycle (lifecycle.ts nextAction, in the "active" case) asks dataImageStep, the
// preview (plan.ts) announces its steps, converge.ts carries them out (vmedia.ts). What pulumi-metal3
// attached is recorded on the node (EXTRA.dataImage) once the BMC showed it inserted: Ironic's GET
// reports the URL the BMC reads (Ironic's own copy of the image), never the one asked for.
import type { JsonPatchOp, Node, VirtualMedia } from "../ironic/types";
import { EXTRA } from "../extra-keys";
import type { HostSpec } from "./spec";

/** The virtual device a data image goes in (Ironic's device_type), as BMO's AttachDataImage (nodes.VirtualMediaCD). */
export const DATA_IMAGE_DEVICE = "cdrom" as const;

/** Hardware types whose management interface does virtual media (Ironic's RedfishManagement and its iDRAC subclass). */
const VMEDIA_DRIVERS = new Set(["redfish", "idrac"]);

/** URL schemes a data image may use: what Ironic's conductor can download and serve to the BMC (image_utils.prepare_remote_image, "local"). */
export const DATA_IMAGE_URL_SCHEMES = ["http", "https"] as const;

/** Why `driver` (Ironic hardware type) cannot take a data image, or undefined when it can. */
export function dataImageDriverProblem(driver: string, type: string): string | undefined {
    if (VMEDIA_DRIVERS.has(driver)) return undefined;
    return `a ${type}:// BMC has no virtual media (Ironic's ${driver} hardware type cannot attach an ISO); data images need a Redfish-family BMC (redfish://, redfish-virtualmedia://, idrac-virtualmedia://, …)`;
}

/** The data image URL pulumi-metal3 last attached to the node, if any. */
export function recordedDataImage(node: Pick<Node, "extra">): string | undefined {
    const v = node.extra?.[EXTRA.dataImage];
    return typeof v === "string" && v !== "" ? v : undefined;
}

/** The BMC's virtual CD (or DVD) holds an inserted image. */
export function cdInserted(vmedia: readonly VirtualMedia[]): VirtualMedia | undefined {
    return vmedia.find((m) => m.inserted && (m.media_types ?? []).some((t) => t === "CD" || t === "DVD"));
}

export type DataImageStep =
    | { kind: "none" }
    /** Insert `url` in the virtual CD, then record it on the node. */
    | { kind: "attach"; url: string; reason: string }
    /** Eject the virtual CD (holding the recorded `url`), then remove the record. */
    | { kind: "detach"; url: string; reason: string }
    /** Remove a record whose media is no longer inserted (nothing to eject). */
    | { kind: "forget"; ops: JsonPatchOp[]; reason: string }
    | { kind: "fail"; message: string };

/** The patch that records `url` as attached. */
export function recordDataImageOps(url: string): JsonPatchOp[] {
    return [{ op: "add", path: `/extra/${EXTRA.dataImage}`, value: url }];
}

export const FORGET_DATA_IMAGE: JsonPatchOp[] = [{ op: "remove", path: `/extra/${EXTRA.dataImage}` }];

/**
 * What the provisioned node's virtual CD needs for spec.dataImage. `vmedia`: what the BMC reports
 * now (undefined: not looked at, e.g. at preview; the record is taken as what is inserted). One
 * step at a time: a changed URL is ejected first, then attached (as BMO detaches, then attaches).
 */
export function dataImageStep(
    spec: Pick<HostSpec, "dataImage"> & { bmc: Pick<HostSpec["bmc"], "driver" | "type"> },
    node: Pick<Node, "extra">,
    vmedia?: readonly VirtualMedia[],
): DataImageStep {
    const want = spec.dataImage?.url;
    const recorded = recordedDataImage(node);
    const inCd = vmedia ? cdInserted(vmedia) : undefined;
    const inserted = vmedia ? inCd !== undefined : recorded !== undefined;
    if (recorded !== undefined && recorded !== want) {
        if (!inserted) return { kind: "forget", ops: FORGET_DATA_IMAGE, reason: `data image ${recorded} is no longer in the virtual CD: forgetting it` };
        return { kind: "detach", url: recorded, reason: want ? `dataImage changed to ${want}: ejecting ${recorded} first` : "dataImage removed" };
    }
    if (want === undefined) return { kind: "none" };
    if (recorded === want && inserted) return { kind: "none" };
    const driverProblem = dataImageDriverProblem(spec.bmc.driver, spec.bmc.type);
    if (driverProblem) return { kind: "fail", message: `dataImage: ${driverProblem}` };
    if (recorded === undefined && inCd) {
        return {
            kind: "fail",
            message:
                `dataImage: the host's virtual CD already holds an image pulumi-metal3 did not attach (${inCd.image ?? "no URL reported"}); ` +
                "eject it first (`baremetal node vmedia detach <node> --device-types cdrom`), or remove dataImage",
        };
    }
    return {
        kind: "attach",
        url: want,
        reason: recorded === want ? `the BMC shows no media inserted: attaching data image ${want} again` : `dataImage ${want}`,
    };
}

/**
 * A data image asked for on a host that will not be provisioned after this update: it waits, as
 * in Metal³ (attached once the host is provisioned). Undefined when there is nothing to say.
 */
export function dataImageWaits(
    oldSpec: Pick<HostSpec, "dataImage">,
    newSpec: Pick<HostSpec, "dataImage">,
    endsProvisionState: string,
): { url: string; ends: string } | undefined {
    const url = newSpec.dataImage?.url;
    if (!url || url === oldSpec.dataImage?.url || endsProvisionState === "active") return undefined;
    return { url, ends: endsProvisionState };
}
