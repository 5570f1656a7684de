// Run in a child process by kubernetes.unit.test.ts (Pulumi mocks are process-global, so they must
// not leak into other unit tests): emits a host and machines through sdk/kubernetes.ts under
// Pulumi's mock monitor and prints, as JSON, every registered resource (type, name, parent, inputs)
// and which output properties are secret.
import * as pulumi from "@pulumi/pulumi";

interface Registration {
    type: string;
    name: string;
    inputs: Record<string, any>;
}
const registrations: Registration[] = [];

const preview = process.argv[2] === "preview";

async function main(): Promise<void> {
    if (preview) return previewRun();
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                registrations.push({ type: args.type, name: args.name, inputs: args.inputs });
                const metadata = { ...(args.inputs.metadata ?? {}), uid: `uid-of-${args.name}`, resourceVersion: "4242" };
                return { id: `${args.name}-id`, state: { ...args.inputs, metadata } };
            },
            // ConfigFile asks the provider to parse YAML; answer as the provider would.
            call: (args) => (args.token === "kubernetes:yaml:decode" ? { result: require("js-yaml").loadAll(args.inputs.text) } : args.inputs),
        },
        "project",
        "stack",
        false,
    );
    // Loaded after setMocks, as a Pulumi program would be.
    const { emitHostObjects, emitMachineObjects } = require("../../sdk/kubernetes") as typeof import("../../sdk/kubernetes");
    const { Metal3Crds } = require("../../sdk/crds") as typeof import("../../sdk/crds");
    const crdsInstalled = new Metal3Crds("metal3-crds");

    class Parent extends pulumi.ComponentResource {
        constructor(name: string) {
            super("pulumi-metal3:test:Parent", name, {}, {});
        }
    }
    const hostParent = new Parent("node-0");
    const host = emitHostObjects(
        hostParent,
        {
            name: "node-0",
            bmc: { address: "redfish+http://127.0.0.1:8000/redfish/v1/Systems/1", username: "admin", password: pulumi.secret("s3cr3t!") },
            bootMACAddress: "52:54:00:12:34:56",
            online: false,
            userData: pulumi.secret("#cloud-config\n"),
            metaData: { "local-hostname": "node-0" },
            dataImage: { url: "http://172.22.0.1/data.iso" },
            updatePolicy: { firmwareSettings: "onReboot" },
            status: { nodeUuid: pulumi.output("1be26c0b-03f2-4d2e-ae87-c02d7f33c123"), provisioningState: "available", poweredOn: false },
        },
        { namespace: "metal3" },
    );
    const machineParent = new Parent("worker-0");
    const machine = emitMachineObjects(
        machineParent,
        {
            name: "worker-0",
            clusterName: "cluster-a",
            host: { name: pulumi.output("node-0") },
            image: { url: "http://172.22.0.1/images/os.raw", checksum: "abc", format: "raw" },
            userData: pulumi.secret("#cloud-config\n"),
        },
        { namespace: "metal3", apiVersion: "v1beta2" },
    );
    const unclaimed = emitMachineObjects(
        new Parent("worker-1"),
        pulumi.output({ name: "worker-1", namespace: "other", clusterName: "cluster-a", customDeploy: { method: "install" } }),
        { namespace: "metal3" },
    );

    // node-1 is held by worker-0 (the claim as sdk/machine.ts registers it); node-2 has a secret
    // the user chose (its description), which must stay secret wherever it goes.
    const claimed = emitHostObjects(
        new Parent("node-1"),
        {
            name: "node-1",
            bmc: { address: "ipmi://10.0.0.2", username: "admin", password: pulumi.secret("pw") },
            online: false,
            status: { nodeUuid: "2be26c0b-03f2-4d2e-ae87-c02d7f33c123", provisioningState: "available", poweredOn: false },
        },
        { namespace: "metal3" },
        {
            claim: machine.hostClaim.apply((patch) => ({
                spec: { ...(patch!.spec as object) },
                labels: patch!.metadata.labels,
                online: true,
                provisioningState: "provisioned" as const,
                nodeUuid: "2be26c0b-03f2-4d2e-ae87-c02d7f33c123",
                poweredOn: true,
            })),
        },
    );
    const userSecret = emitHostObjects(
        new Parent("node-2"),
        {
            name: "node-2",
            bmc: { address: "ipmi://10.0.0.3", username: "admin", password: "plain-but-still-secret" },
            online: false,
            description: pulumi.secret("cage 7, badge 4411"),
        },
        { namespace: "metal3" },
    );
    const secretness = {
        bmcSecretData: await pulumi.isSecret(host.bmcSecret.data),
        userDataSecretData: await pulumi.isSecret(host.dataSecrets.userData!.data),
        metaDataSecretData: await pulumi.isSecret(host.dataSecrets.metaData!.data),
        bootstrapData: await pulumi.isSecret(machine.dataSecrets.bootstrap.data),
        node2BmcData: await pulumi.isSecret(userSecret.bmcSecret.data),
    };
    // Wait for every registration to land.
    await new Promise<void>((resolve) =>
        pulumi
            .all([crdsInstalled.urn, ...crdsInstalled.configFiles.map((f) => f.urn), host.host.urn, machine.metal3Machine.urn, unclaimed.metal3Machine.urn])
            .apply(() => resolve()),
    );
    // The claim patches are registered once the claimed host is known (inside an apply).
    while (!machine.bmcSecretClaim) await new Promise((r) => setTimeout(r, 20));
    await new Promise<void>((resolve) => pulumi.all([machine.bmcSecretClaim!.urn, claimed.host.urn, userSecret.host.urn]).apply(() => resolve()));
    await new Promise((r) => setTimeout(r, 200));
    const parents = {
        bmcSecret: await new Promise((r) => host.bmcSecret.urn.apply(r)),
        machine: await new Promise((r) => machine.machine.urn.apply(r)),
    };
    process.stdout.write(
        JSON.stringify({ registrations, secretness, parents, optionalKeys: { host: Object.keys(host.dataSecrets), unclaimed: Object.keys(unclaimed) } }),
    );
}

/**
 * `pulumi preview` of a new host and machine: the node UUID and the claimed host are not known yet
 * (outputs of a resource that does not exist). Prints what the engine would be sent.
 */
async function previewRun(): Promise<void> {
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                registrations.push({ type: args.type, name: args.name, inputs: args.inputs });
                // At preview a new resource's outputs that are not inputs are unknown.
                return { id: undefined as unknown as string, state: args.type.startsWith("kubernetes:") ? args.inputs : {} };
            },
            call: (args) => args.inputs,
        },
        "project",
        "stack",
        true,
    );
    const { emitHostObjects, emitMachineObjects } = require("../../sdk/kubernetes") as typeof import("../../sdk/kubernetes");
    class Parent extends pulumi.CustomResource {
        readonly nodeUuid!: pulumi.Output<string>;
        readonly hostName!: pulumi.Output<string>;
        constructor(name: string) {
            super("pulumi-metal3:test:Ironic", name, { nodeUuid: undefined, hostName: undefined }, {});
        }
    }
    const node = new Parent("node-0");
    const host = emitHostObjects(
        node,
        {
            name: "node-0",
            bmc: { address: "ipmi://10.0.0.1", username: "admin", password: pulumi.secret("pw") },
            online: true,
            status: { nodeUuid: node.nodeUuid, provisioningState: "available", poweredOn: false },
        },
        { namespace: "metal3" },
    );
    const m = new Parent("worker-0");
    const machine = emitMachineObjects(
        m,
        { name: "worker-0", clusterName: "c", host: { name: m.hostName }, image: { url: "http://x/os.raw", checksum: "abc" } },
        { namespace: "metal3", apiVersion: "v1beta2" },
    );
    await new Promise<void>((resolve) => pulumi.all([host.host.urn, machine.metal3Machine.urn]).apply(() => resolve()));
    await new Promise((r) => setTimeout(r, 200));
    process.stdout.write(JSON.stringify({ registrations }));
}

main().catch((e) => {
    process.stderr.write(String(e?.stack ?? e));
    process.exit(1);
});
