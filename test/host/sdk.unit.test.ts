// The public BareMetalHost class under Pulumi's mock monitor (child process, see sdk-program.ts):
// its type token, which inputs reach the engine as secrets, and the Kubernetes objects it emits.
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as path from "path";

/** Pulumi's marker for a secret value in RPC inputs. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const isSecret = (v: unknown) => !!v && typeof v === "object" && SECRET_SIG in (v as object);

describe("sdk/baremetalhost: the resource class (Pulumi mocks)", function () {
    this.timeout(120_000);
    let out: {
        registrations: Array<{ type: string; name: string; inputs: any }>;
        hostUrn: string;
        stackCapture: { stacksWithFrames: number; limitRestored: boolean };
    };
    const reg = (name: string) => {
        const r = out.registrations.find((x) => x.name === name);
        expect(r, `registration ${name} in ${out.registrations.map((x) => x.name).join(", ")}`).to.not.equal(undefined);
        return r!;
    };
    before(() => {
        out = JSON.parse(execFileSync(process.execPath, [path.join(__dirname, "sdk-program.js")], { encoding: "utf8", timeout: 100_000 }));
    });

    it("registers under its own type token with the serialized provider", () => {
        const r = reg("node-7");
        expect(r.type).to.equal("pulumi-nodejs:dynamic/pulumi-metal3:BareMetalHost");
        expect(r.inputs.__provider).to.be.a("string");
        expect(r.inputs.name).to.equal("node-7");
    });
    it("the BMC password, config-drive data and Ironic credentials reach the engine as secrets; nothing leaks in clear", () => {
        const i = reg("node-7").inputs;
        // Under mocks a nested secret marks its enclosing property; the real engine keeps it nested
        // (engine.test.ts sees `address` in clear and `password: [secret]` in preview --diff).
        const bmc = isSecret(i.bmc) ? i.bmc.value : i.bmc;
        expect(isSecret(i.bmc) || isSecret(bmc.password)).to.equal(true);
        expect(bmc.address).to.equal("redfish://10.0.0.7/redfish/v1/Systems/1");
        expect(isSecret(i.userData)).to.equal(true);
        expect(isSecret(i.ironic)).to.equal(true);
        expect(i.image).to.deep.equal({ url: "http://x/os.qcow2", checksum: "abc", format: "qcow2" });
        expect(i.labels).to.deep.equal({ rack: "r7" });
    });
    it("registers without a stack trace per promise (only Pulumi's own of the resource), and gives the stack limit back", () => {
        // @pulumi/pulumi records `new Error().stack` on ~4 promises per property while registering:
        // ~100 per host, most of a 1000-host preview's CPU (docs/PERFORMANCE.md).
        expect(out.stackCapture.stacksWithFrames).to.be.within(1, 2);
        expect(out.stackCapture.limitRestored).to.equal(true);
    });
    it("a bmc block given as one Output is secret as a whole", () => {
        expect(isSecret(reg("node-8").inputs.bmc)).to.equal(true);
    });
    it("kubernetes: emits the BMC Secret, the user-data Secret and a BareMetalHost object, only when asked", () => {
        const names = out.registrations.map((r) => r.name);
        expect(names).to.include.members(["node-7-bmc-secret", "node-7-user-data"]);
        const bmh = out.registrations.find((r) => r.type === "kubernetes:metal3.io/v1alpha1:BareMetalHost");
        expect(bmh, names.join(", ")).to.not.equal(undefined);
        expect(bmh!.inputs.metadata.namespace).to.equal("metal3");
        expect(bmh!.inputs.spec.bmc.address).to.equal("redfish://10.0.0.7/redfish/v1/Systems/1");
        expect(JSON.stringify(bmh!.inputs)).to.not.contain("bmc-pw");
        expect(isSecret(reg("node-7-bmc-secret").inputs.data)).to.equal(true);
        expect(
            names.filter((n) => n.startsWith("node-8-")),
            "no kubernetes objects without the kubernetes option",
        ).to.deep.equal([]);
    });
});
