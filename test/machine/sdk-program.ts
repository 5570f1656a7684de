// Run in a child process by sdk.unit.test.ts (Pulumi mocks are process-global): declares Machines
// under Pulumi's mock monitor and prints, as JSON, what was registered (type, name, inputs) and
// how the secret inputs reached the engine.
import * as pulumi from "@pulumi/pulumi";

interface Registration {
    type: string;
    name: string;
    inputs: Record<string, any>;
}
const registrations: Registration[] = [];

async function main(): Promise<void> {
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                registrations.push({ type: args.type, name: args.name, inputs: args.inputs });
                return { id: `${args.name}-id`, state: { ...args.inputs, hostName: "h1", ready: true } };
            },
            call: (args) => args.inputs,
        },
        "project",
        "stack",
        false,
    );
    const { Machine } = require("../../sdk/machine") as typeof import("../../sdk/machine");
    const m = new Machine("worker-0", {
        namespace: "prod",
        hostSelector: { matchLabels: { role: "worker" } },
        image: { url: "http://img/v1.qcow2", checksum: "abc" },
        userData: "#cloud-config\n",
        networkData: { links: [] },
        ironic: { url: "http://127.0.0.1:6385", password: "pw", authType: "http_basic", username: "u" },
    });
    const named = new Machine("worker-1", { name: "custom-name", host: "h9", customDeploy: { method: "install" } });
    // Wait until both registrations went through the mock monitor.
    await new Promise<void>((resolve) => pulumi.all([m.urn, named.urn, m.hostName, named.hostName]).apply(() => resolve()));
    process.stdout.write(JSON.stringify({ registrations }) + "\n");
}

main().catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
});
