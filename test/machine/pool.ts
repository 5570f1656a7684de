// Test (and benchmark) fixture: a pool of claimable hosts made directly through the Ironic
// client, the way a BareMetalHost leaves them: fake-hardware nodes named `<ns>~<host>`, labels in
// extra.metal3_labels, marked managed, with the keyed owner record a BareMetalHost of a stack whose
// ownerKey is POOL_OWNER_KEY writes (provider/owner-record.ts: Machines claim only hosts whose
// record verifies, so the Machines of these tests name that key, as stack config or poolOwnerKeys),
// taken to `available` and powered off (Ironic allocations ignore nodes whose power state is unknown).
import type { IronicClient } from "../../provider/ironic";
import type { Node } from "../../provider/ironic/types";
import { hostNodeName } from "../../provider/claim/candidates";
import { OWNER_MAC_KEY, ownerMac } from "../../provider/owner-record";

/** The owner key of the (fictitious) stack that enrolled the fixture pools; 256 bits as hex, as `pulumi-metal3 owner-key` makes. */
export const POOL_OWNER_KEY = "9f1c2b7a5e3d4c6b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b";
/** The stack the fixture pools are recorded as enrolled by. */
export const POOL_STACK = "pool-fixture/test";

/** The owner record a BareMetalHost `host` of POOL_STACK writes on node `nodeName` (under `key`). */
export function poolOwnerRecord(nodeName: string, host: string, key = POOL_OWNER_KEY): Record<string, string> {
    return { pulumi_metal3_owner: POOL_STACK, pulumi_metal3_resource: host, [OWNER_MAC_KEY]: ownerMac(key, nodeName, POOL_STACK, host) };
}

export const FAKE_INTERFACES = {
    boot_interface: "fake",
    deploy_interface: "fake",
    inspect_interface: "fake",
    management_interface: "fake",
    power_interface: "fake",
    raid_interface: "fake",
    bios_interface: "fake",
    vendor_interface: "fake",
    console_interface: "fake",
};

export interface PoolHostSpec {
    name: string;
    labels: Record<string, string>;
    resourceClass?: string;
}

/** A unique word for this test run, so tests never select each other's hosts. */
export function uniqueTag(prefix: string): string {
    return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** Creates the hosts concurrently and brings each to available + power off. */
export async function createPoolHosts(client: IronicClient, namespace: string, hosts: PoolHostSpec[], timeoutMs = 180_000): Promise<Node[]> {
    return Promise.all(hosts.map((h) => createPoolHost(client, namespace, h, timeoutMs)));
}

export async function createPoolHost(client: IronicClient, namespace: string, host: PoolHostSpec, timeoutMs = 180_000): Promise<Node> {
    const node = await client.createNode({
        name: hostNodeName(namespace, host.name),
        driver: "fake-hardware",
        resource_class: host.resourceClass ?? "baremetal",
        extra: { metal3_labels: host.labels, pulumi_metal3_managed: "true", ...poolOwnerRecord(hostNodeName(namespace, host.name), host.name) },
        ...FAKE_INTERFACES,
    });
    await client.setProvisionState(node.uuid, "manage");
    await client.waitForProvisionState(node.uuid, "manageable", { timeoutMs, label: `manage ${node.name}` });
    await client.setProvisionState(node.uuid, "provide");
    await client.waitForProvisionState(node.uuid, "available", { timeoutMs, label: `provide ${node.name}` });
    await client.setPowerState(node.uuid, "power off");
    return client.waitForPowerState(node.uuid, "power off", { timeoutMs, label: `power off ${node.name}` });
}

/** Removes the hosts and any allocation still holding them (test cleanup; best effort per node). */
export async function destroyPoolHosts(client: IronicClient, nodes: Pick<Node, "uuid">[]): Promise<void> {
    await Promise.all(
        nodes.map(async ({ uuid }) => {
            const node = await client.findNode(uuid);
            if (!node) return;
            if (node.provision_state === "active") {
                await client.setProvisionState(uuid, "deleted");
                await client.waitForProvisionState(uuid, "available", { timeoutMs: 120_000 }).catch(() => undefined);
            }
            const current = await client.findNode(uuid);
            if (current?.allocation_uuid) await client.deleteAllocation(current.allocation_uuid).catch(() => undefined);
            if (current?.maintenance === false && !["available", "manageable", "enroll"].includes(current.provision_state))
                await client.setMaintenance(uuid, "test cleanup").catch(() => undefined);
            await client.deleteNode(uuid).catch(() => undefined);
        }),
    );
}
