// What a deployment writes into the Ironic node before `active`: instance_info image fields,
// root_device hints and capabilities (BMO setDirectDeployUpdateOptsForNode / devicehints.go).
// Pure: builds JSON-patch operations from the node as it is now.
import type { JsonPatchOp, Node } from "../ironic/types";
import type { BootMode, HostImage, RootDeviceHints } from "./spec-types";

/** Metal³ root device hints → Ironic `instance_info.root_device` with BMO's operators (baremetal-operator pkg/provisioner/ironic/devicehints/devicehints.go). */
export function ironicRootDevice(h: RootDeviceHints | undefined): Record<string, string> | undefined {
    if (!h) return undefined;
    const out: Record<string, string> = {};
    if (h.deviceName) out[h.deviceName.startsWith("/dev/disk/by-path/") ? "by_path" : "name"] = `s== ${h.deviceName}`;
    if (h.hctl) out.hctl = `s== ${h.hctl}`;
    if (h.model) out.model = `<in> ${h.model}`;
    if (h.vendor) out.vendor = `<in> ${h.vendor}`;
    if (h.serialNumber) out.serial = `s== ${h.serialNumber}`;
    if (h.minSizeGigabytes !== undefined && h.minSizeGigabytes > 0) out.size = `>= ${h.minSizeGigabytes}`;
    if (h.wwn) out.wwn = `s== ${h.wwn}`;
    if (h.wwnWithExtension) out.wwn_with_extension = `s== ${h.wwnWithExtension}`;
    if (h.wwnVendorExtension) out.wwn_vendor_extension = `s== ${h.wwnVendorExtension}`;
    if (h.rotational !== undefined) out.rotational = String(h.rotational);
    return Object.keys(out).length ? out : undefined;
}

/** `boot_mode:uefi` etc. as Ironic's `properties.capabilities` string. */
export function bootModeCapabilities(mode: BootMode): Record<string, string> {
    if (mode === "legacy") return { boot_mode: "bios" };
    if (mode === "UEFISecureBoot") return { boot_mode: "uefi", secure_boot: "true" };
    return { boot_mode: "uefi" };
}

/** Parses Ironic's "k1:v1,k2:v2" capabilities (also accepts an object, which newer clients send). */
export function parseCapabilities(value: unknown): Record<string, string> {
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
    if (typeof value !== "string" || !value.trim()) return {};
    const out: Record<string, string> = {};
    for (const item of value.split(",")) {
        const i = item.indexOf(":");
        if (i > 0) out[item.slice(0, i).trim()] = item.slice(i + 1).trim();
    }
    return out;
}

export function formatCapabilities(caps: Record<string, string>): string {
    return Object.entries(caps)
        .map(([k, v]) => `${k}:${v}`)
        .join(",");
}

/** properties.capabilities with the boot mode set and secure_boot removed unless asked for. */
export function capabilitiesWithBootMode(current: unknown, mode: BootMode): string {
    const caps = parseCapabilities(current);
    delete caps.secure_boot;
    return formatCapabilities({ ...caps, ...bootModeCapabilities(mode) });
}

/** The instance_info keys a deployment owns (removed before a new one is written). */
const IMAGE_KEYS = [
    "image_source",
    "image_disk_format",
    "image_checksum",
    "image_os_hash_algo",
    "image_os_hash_value",
    "boot_iso",
    "root_device",
    "capabilities",
];

export interface InstancePlan {
    image?: HostImage;
    customDeploy?: { method: string };
    rootDeviceHints?: RootDeviceHints;
    bootMode?: BootMode;
}

/** Which deploy interface the deployment needs; undefined = leave the node's (fake stays fake). */
export function deployInterfaceFor(node: Node, plan: InstancePlan): string | null | undefined {
    if (node.deploy_interface === "fake") return undefined;
    if (plan.customDeploy) return "custom-agent";
    if (plan.image?.format === "live-iso") return "ramdisk";
    // Back from live-iso / custom: let Ironic pick its default (direct in a Metal³ Ironic).
    if (node.deploy_interface === "ramdisk" || node.deploy_interface === "custom-agent") return null;
    return undefined;
}

/** JSON-patch ops that make the node ready for `active` / `rebuild` with this plan. */
export function instancePatch(node: Node, plan: InstancePlan): JsonPatchOp[] {
    const ops: JsonPatchOp[] = [];
    const info = node.instance_info ?? {};
    for (const key of IMAGE_KEYS) if (key in info) ops.push({ op: "remove", path: `/instance_info/${key}` });
    const add = (key: string, value: unknown) => ops.push({ op: "add", path: `/instance_info/${key}`, value });
    const image = plan.image;
    if (image && image.format === "live-iso") {
        add("boot_iso", image.url);
    } else if (image) {
        add("image_source", image.url);
        if (image.format) add("image_disk_format", image.format);
        if (image.checksum) {
            if (image.checksumType && image.checksumType !== "auto") {
                add("image_os_hash_algo", image.checksumType);
                add("image_os_hash_value", image.checksum);
            } else {
                add("image_checksum", image.checksum);
            }
        }
    }
    const root = ironicRootDevice(plan.rootDeviceHints);
    if (root) add("root_device", root);
    if (plan.bootMode === "UEFISecureBoot") add("capabilities", { secure_boot: "true" });
    if (plan.bootMode) {
        const caps = capabilitiesWithBootMode(node.properties?.capabilities, plan.bootMode);
        if (caps !== node.properties?.capabilities) ops.push({ op: "add", path: "/properties/capabilities", value: caps });
    }
    const deployInterface = deployInterfaceFor(node, plan);
    if (deployInterface === null) ops.push({ op: "remove", path: "/deploy_interface" });
    else if (deployInterface !== undefined && deployInterface !== node.deploy_interface)
        ops.push({ op: "add", path: "/deploy_interface", value: deployInterface });
    return ops;
}

/** Deploy steps for a custom deploy (BMO getCustomDeploySteps). */
export function customDeploySteps(plan: InstancePlan): object[] | undefined {
    if (!plan.customDeploy) return undefined;
    return [{ interface: "deploy", step: plan.customDeploy.method, args: {}, priority: 80 }];
}
