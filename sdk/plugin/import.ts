// `pulumi import metal3:index:BareMetalHost NAME <node uuid or name>`: the engine sends Read with
// no properties, and the node itself must say what a program declaring it would write. This only
// maps the node to those inputs; sdk/providers/host.ts `read` then reports the state, exactly as
// for a refresh. Best effort where Ironic keeps less than the program said (the BMC password, the
// config drive): those are not readable back, and the first `up` after the import sets them.
import type { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";

/** `<namespace>~<name>` → its parts; any other node name is a host of the default namespace. */
function nameParts(nodeName: string): { name: string; namespace?: string } {
    const i = nodeName.indexOf("~");
    return i > 0 ? { namespace: nodeName.slice(0, i), name: nodeName.slice(i + 1) } : { name: nodeName };
}

/** The BMC URL a program would give for this node's driver_info (bmc.ts, read backwards). */
export function bmcAddressOf(node: Node): string {
    const di = (node.driver_info ?? {}) as Record<string, unknown>;
    if (node.driver === "fake-hardware") return `fake://${node.name ?? node.uuid}`;
    if (typeof di.redfish_address === "string") {
        const base = di.redfish_address.replace(/^(https?):\/\//, "");
        const transport = di.redfish_address.startsWith("http://") ? "+http" : "";
        const scheme = node.driver === "idrac" ? "idrac-redfish" : "redfish";
        return `${scheme}${transport}://${base}${typeof di.redfish_system_id === "string" ? di.redfish_system_id : ""}`;
    }
    if (typeof di.ipmi_address === "string") return `ipmi://${di.ipmi_address}${di.ipmi_port && String(di.ipmi_port) !== "623" ? `:${di.ipmi_port}` : ""}`;
    throw new Error(
        `node ${node.name ?? node.uuid} (${node.uuid}): driver ${node.driver} has no BMC address this provider can read back (ipmi_address / redfish_address)`,
    );
}

function usernameOf(node: Node): string | undefined {
    const di = (node.driver_info ?? {}) as Record<string, unknown>;
    const u = di.ipmi_username ?? di.redfish_username;
    return typeof u === "string" ? u : undefined;
}

/** The inputs of a program that would have made `node` as it is. */
export async function importedHostInputs(client: IronicClient, node: Node): Promise<Record<string, unknown>> {
    const { name, namespace } = nameParts(node.name ?? node.uuid);
    const ports = await client.listPorts({ node: node.uuid });
    const ii = (node.instance_info ?? {}) as Record<string, unknown>;
    const username = usernameOf(node);
    const inputs: Record<string, unknown> = {
        name,
        ...(namespace && namespace !== "default" ? { namespace } : {}),
        bmc: { address: bmcAddressOf(node), ...(username !== undefined ? { username } : {}) },
        online: node.power_state === "power on",
        ...(ports[0] ? { bootMACAddress: ports[0].address } : {}),
        ...(node.automated_clean === false ? { automatedCleaningMode: "disabled" } : {}),
    };
    if (node.provision_state === "active" && typeof ii.image_source === "string") {
        inputs.image = {
            url: ii.image_source,
            ...(typeof ii.image_os_hash_value === "string" ? { checksum: ii.image_os_hash_value, checksumType: ii.image_os_hash_algo } : {}),
            ...(typeof ii.image_checksum === "string" ? { checksum: ii.image_checksum } : {}),
            ...(typeof ii.image_disk_format === "string" ? { format: ii.image_disk_format } : {}),
        };
    }
    return inputs;
}
