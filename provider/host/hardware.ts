// Ironic inspection inventory → Metal³ HardwareDetails (baremetal-operator apis/metal3.io/v1alpha1/baremetalhost_types.go HardwareDetails; pkg/provisioner/ironic/hardwaredetails/hardwaredetails.go);
// without an inventory (fake inspection, inspection disabled) the node's properties give what they can.
import type { Node, NodeInventory } from "../ironic/types";
import type { HardwareDetails as CrdHardwareDetails } from "../render/types";

/**
 * Metal³ HardwareDetails as the CRD declares it (one definition, in provider/render/types.ts),
 * plus where this provider got the details from.
 */
export interface HardwareDetails extends CrdHardwareDetails {
    /** Where the details came from: "inventory" (inspection) or "properties" (node properties only). */
    source: "inventory" | "properties";
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const num = (v: unknown): number | undefined => {
    const n = typeof v === "string" ? Number(v) : v;
    return typeof n === "number" && Number.isFinite(n) ? n : undefined;
};

function storageType(disk: any): "HDD" | "SSD" | "NVME" {
    if (disk.rotational) return "HDD";
    if (typeof disk.name === "string" && disk.name.startsWith("/dev/nvme")) return "NVME";
    return "SSD";
}

export function hardwareFromInventory(data: NodeInventory, fallback?: Node): HardwareDetails {
    const inv = data.inventory ?? {};
    const plugin = data.plugin_data ?? {};
    const sys = inv.system_vendor ?? {};
    const fw = sys.firmware ?? {};
    const pxeByName: Record<string, boolean> = {};
    for (const [name, iface] of Object.entries<any>(plugin.all_interfaces ?? {})) pxeByName[name] = !!iface?.pxe;
    const nics: NonNullable<HardwareDetails["nics"]> = [];
    for (const iface of inv.interfaces ?? []) {
        const base = {
            name: str(iface.name),
            model: [str(iface.vendor), str(iface.product)].filter(Boolean).join(" ") || undefined,
            mac: str(iface.mac_address),
            speedGbps: num(iface.speed_mbps) !== undefined ? Math.floor(num(iface.speed_mbps)! / 1000) : undefined,
            pxe: iface.name in pxeByName ? pxeByName[iface.name] : undefined,
        };
        // A dual-stack NIC gives one entry per IP family, as BMO does.
        const ips = [str(iface.ipv4_address), str(iface.ipv6_address)].filter((x): x is string => !!x);
        if (ips.length === 0) nics.push(base);
        for (const ip of ips) nics.push({ ...base, ip });
    }
    const cpu = inv.cpu ?? {};
    return {
        source: "inventory",
        systemVendor: { manufacturer: str(sys.manufacturer), productName: str(sys.product_name), serialNumber: str(sys.serial_number) },
        firmware: { bios: { date: str(fw.build_date), vendor: str(fw.vendor), version: str(fw.version) } },
        ramMebibytes: num(inv.memory?.physical_mb),
        nics,
        storage: (inv.disks ?? []).map((d: any) => ({
            name: str(d.by_path) ?? str(d.name),
            alternateNames: [d.name, d.by_path].filter((x: unknown) => typeof x === "string" && x !== (str(d.by_path) ?? str(d.name))),
            rotational: !!d.rotational,
            type: storageType(d),
            sizeBytes: num(d.size),
            vendor: str(d.vendor),
            model: str(d.model),
            serialNumber: str(d.serial),
            wwn: str(d.wwn),
            wwnVendorExtension: str(d.wwn_vendor_extension),
            wwnWithExtension: str(d.wwn_with_extension),
            hctl: str(d.hctl),
        })),
        cpu: {
            arch: str(cpu.architecture) ?? str(fallback?.properties?.cpu_arch),
            model: str(cpu.model_name),
            clockMegahertz: num(cpu.frequency) !== undefined ? Math.round(num(cpu.frequency)!) : undefined,
            flags: Array.isArray(cpu.flags) ? [...cpu.flags].sort() : [],
            count: num(cpu.count),
        },
        hostname: str(inv.hostname),
    };
}

/** What the node's properties say (cpus, memory_mb, local_gb, cpu_arch), e.g. after fake inspection. */
export function hardwareFromProperties(node: Node): HardwareDetails {
    const p = node.properties ?? {};
    const localGb = num(p.local_gb);
    return {
        source: "properties",
        ramMebibytes: num(p.memory_mb),
        cpu: { arch: str(p.cpu_arch), count: num(p.cpus) },
        storage: localGb !== undefined && localGb > 0 ? [{ name: "root", sizeBytes: localGb * 1024 ** 3 }] : [],
    };
}

export function hardwareDetails(node: Node, inventory: NodeInventory | undefined): HardwareDetails {
    return inventory?.inventory ? hardwareFromInventory(inventory, node) : hardwareFromProperties(node);
}
