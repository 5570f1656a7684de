// Run in a child process by contract.unit.test.ts (Pulumi mocks are process-global): declares one
// resource of each kind through both front doors (the dynamic classes and the plugin's native
// classes), every secret given as a plain literal, and prints what reached the monitor: the type,
// the input paths sent as secrets, and the additionalSecretOutputs.
import * as pulumi from "@pulumi/pulumi";
import { unwrapSecrets } from "../sdk/plugin/secrets";

const registrations: Array<{ type: string; name: string; secretInputs: string[]; secretOutputs: string[] }> = [];

async function main(): Promise<void> {
    await pulumi.runtime.setMocks(
        { newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }), call: (args) => args.inputs },
        "project",
        "stack",
        false,
    );
    const monitor = require("@pulumi/pulumi/runtime/settings").getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: unknown) => {
        const { secrets } = unwrapSecrets(req.getObject().toJavaScript());
        registrations.push({
            type: req.getType(),
            name: req.getName(),
            secretInputs: secrets.map((p) => p.join(".")).sort(),
            secretOutputs: [...req.getAdditionalsecretoutputsList()].sort(),
        });
        return register(req, cb);
    };
    const { BareMetalHost, Machine, native } = require("../sdk") as typeof import("../sdk");
    const ironic = { url: "http://127.0.0.1:6385", authType: "http_basic" as const, username: "u", password: "ironic-pw", token: "ironic-token" };
    const data = { userData: "#cloud-config\n", networkData: { links: [] }, metaData: { a: "b" } };
    const host = {
        bmc: { address: "ipmi://10.0.0.7", username: "admin", password: "bmc-pw" },
        online: false,
        bootMACAddress: "52:54:00:00:00:07",
        ironic,
        ...data,
    };
    const machine = { image: { url: "http://x/os.iso", diskFormat: "live-iso" as const }, ironic, poolOwnerKeys: ["p".repeat(64)], ...data };
    new BareMetalHost("dyn-host", host);
    new Machine("dyn-machine", machine);
    new native.BareMetalHost("native-host", host);
    new native.Machine("native-machine", machine);
    await new Promise((r) => setTimeout(r, 500));
    process.stdout.write(JSON.stringify(registrations));
}

main().catch((e) => {
    process.stderr.write(String(e?.stack ?? e));
    process.exit(1);
});
