// Run in a child process by sdk.unit.test.ts (Pulumi mocks are process-global): declares
// BareMetalHosts through the public class under Pulumi's mock monitor and prints, as JSON, every
// registration (type, name, inputs as the engine receives them, secrets marked) and the parents.
import * as pulumi from "@pulumi/pulumi";

const registrations: Array<{ type: string; name: string; inputs: Record<string, unknown> }> = [];

async function main(): Promise<void> {
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                registrations.push({ type: args.type, name: args.name, inputs: args.inputs });
                if (args.type.includes("BareMetalHost") && args.type.startsWith("pulumi-nodejs")) {
                    const state = {
                        ...args.inputs,
                        nodeUuid: "3f0c8a3e-0000-4000-8000-000000000001",
                        provisioningState: "available",
                        ironicProvisionState: "available",
                        poweredOn: false,
                        errorMessage: "",
                        lastUpdated: "2026-01-01T00:00:00Z",
                        hardware: { source: "properties" },
                    };
                    return { id: "3f0c8a3e-0000-4000-8000-000000000001", state };
                }
                const metadata = { ...((args.inputs.metadata as object) ?? {}), uid: `uid-${args.name}`, resourceVersion: "1" };
                return { id: `${args.name}-id`, state: { ...args.inputs, metadata } };
            },
            call: (args) => args.inputs,
        },
        "project",
        "stack",
        false,
    );
    const { BareMetalHost } = require("../../sdk/baremetalhost") as typeof import("../../sdk/baremetalhost");
    const plain = new BareMetalHost("node-7", {
        bmc: { address: "redfish://10.0.0.7/redfish/v1/Systems/1", username: "admin", password: "bmc-pw" },
        online: true,
        bootMACAddress: "52:54:00:00:00:07",
        image: { url: "http://x/os.qcow2", checksum: "abc", format: "qcow2" },
        userData: "#cloud-config\n",
        labels: { rack: "r7" },
        ironic: { url: "http://127.0.0.1:6385", password: "ironic-pw", authType: "http_basic", username: "u" },
        kubernetes: { namespace: "metal3" },
    });
    const wholeOutputBmc = new BareMetalHost("node-8", { bmc: pulumi.output({ address: "fake://8", password: "pw-8" }), online: false });
    // How many stack traces with frames V8 formats while one host registers (pauseStackCapture):
    // only the one Pulumi takes for the resource itself, not one per promise per property.
    const limitBefore = Error.stackTraceLimit;
    const formatting = Error.prepareStackTrace;
    let stacksWithFrames = 0;
    Error.prepareStackTrace = (err, frames) => {
        if (frames.length > 0) stacksWithFrames++;
        return formatting ? formatting(err, frames) : `${err}\n${frames.map((f) => `    at ${f}`).join("\n")}`;
    };
    const counted = new BareMetalHost("node-9", { bmc: { address: "fake://9" }, online: false });
    Error.prepareStackTrace = formatting;
    const stackCapture = { stacksWithFrames, limitRestored: Error.stackTraceLimit === limitBefore };
    await new Promise<void>((resolve) => pulumi.all([plain.urn, plain.nodeUuid, wholeOutputBmc.urn, counted.urn]).apply(() => resolve()));
    await new Promise((r) => setTimeout(r, 500));
    const hostUrn = await new Promise((r) => plain.urn.apply(r));
    process.stdout.write(JSON.stringify({ registrations, hostUrn, stackCapture }));
}

main().catch((e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(1);
});
