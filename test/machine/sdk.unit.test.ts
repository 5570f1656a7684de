// The SDK class under Pulumi's mock monitor (in a child process: mocks are process-global):
// type token, inputs as registered, secrets, and the serialized provider actually loading and
// answering as the dynamic-provider host would call it.
import { execFile } from "child_process";
import * as path from "path";
import { promisify } from "util";
import { expect } from "chai";

const run = promisify(execFile);

interface Registration {
    type: string;
    name: string;
    inputs: Record<string, any>;
}

const secret = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });

describe("Machine SDK class", function () {
    let registrations: Registration[];

    before(async function () {
        this.timeout(60_000);
        const { stdout } = await run(process.execPath, [path.join(__dirname, "sdk-program.js")], { cwd: path.resolve(__dirname, "../../..") });
        registrations = JSON.parse(stdout).registrations;
    });

    it("registers pulumi-nodejs:dynamic/pulumi-metal3:Machine with the resource name as default machine name", function () {
        const w0 = registrations.find((r) => r.name === "worker-0")!;
        const w1 = registrations.find((r) => r.name === "worker-1")!;
        expect(w0.type).to.equal("pulumi-nodejs:dynamic/pulumi-metal3:Machine");
        expect(w0.inputs.name).to.equal("worker-0");
        expect(w1.inputs.name).to.equal("custom-name");
        expect(w0.inputs.claimOwner).to.equal("project/stack"); // <project>/<stack> of the program
        // Secrets reach the engine wrapped as secrets (Pulumi's secret signature).
        expect(w0.inputs.userData).to.deep.equal(secret("#cloud-config\n"));
        expect(w0.inputs.networkData).to.deep.equal(secret({ links: [] }));
        expect(w0.inputs.ironic).to.deep.equal(secret({ url: "http://127.0.0.1:6385", password: "pw", authType: "http_basic", username: "u" }));
        expect(w1.inputs.userData).to.equal(undefined);
        expect(w0.inputs.hostSelector).to.deep.equal({ matchLabels: { role: "worker" } });
        expect(w0.inputs).to.not.have.property("deleteBeforeReplace");
        expect(w0.inputs).to.not.have.property("kubernetes");
    });

    it("serializes a provider that loads its implementation at call time and captures no secret", async function () {
        const code: string = registrations.find((r) => r.name === "worker-0")!.inputs.__provider;
        expect(code).to.include('require("pulumi-metal3/dist/sdk/providers/machine")');
        expect(code).to.not.include("pw");
        expect(code).to.not.include("cloud-config");

        // What the dynamic-provider host does: requireFromString(code).handler(), then configure.
        const requireFromString = require("require-from-string");
        const provider = requireFromString(code, path.join(__dirname, "provider.js")).handler();
        await provider.configure({ config: { get: (k: string) => ({ "pulumi-metal3:ironicUrl": "http://ironic.example:6385" })[k] } });
        expect(provider.connection).to.deep.equal({ url: "http://ironic.example:6385" });
        const checked = await provider.check({}, { name: "m", image: { url: "http://x" } });
        expect(checked.failures).to.deep.equal([
            { property: "image.checksum", reason: "checksum is required unless diskFormat is live-iso or the URL is oci://" },
        ]);
    });
});
