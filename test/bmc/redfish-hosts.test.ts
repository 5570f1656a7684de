// BareMetalHosts on Redfish BMCs through the real engine (`pulumi` CLI, file:// backend), the test
// run's real Ironic and the run's shared sushy-tools emulators (test/support/redfish.ts: one over
// HTTPS with a self-signed certificate, one over plain HTTP). Several hosts go in one `pulumi up`
// so the emulator's 1–11 s power delays overlap instead of adding up.
// Not here: out-of-band ("fast") inspection. sushy-tools 2.2.0's fake systems driver serves no
// Processors resource (AbstractSystemsDriver.get_processors is not implemented by fakedriver.py), so
// Ironic's redfish inspect fails with "MissingAttributeError: The attribute Processors is missing";
// only the emulator's libvirt driver (a real VM behind it) can be inspected.
import { expect } from "chai";
import * as fs from "fs";
import { sleep } from "../../local/proc";
import { redfishAddress, redfishPowerState } from "../../local/redfish";
import { ensureToolchain } from "../../local/toolchain";
import { IronicClient } from "../../provider/ironic";
import { TestStack } from "../e2e/stack";
import { sharedRedfishLab, SharedRedfishLab } from "../support/redfish";

// One host per entry of the `hosts` config; passwords as one secret list (index per host).
const PROGRAM = `const pulumi = require("@pulumi/pulumi");
const { BareMetalHost } = require("pulumi-metal3");
const cfg = new pulumi.Config();
const hosts = cfg.requireObject("hosts");
const passwords = cfg.requireSecretObject("passwords");
exports.hosts = hosts.map((h, i) => {
  const r = new BareMetalHost(h.name, {
    namespace: cfg.require("namespace"),
    bmc: { address: h.address, username: "admin", password: passwords.apply((p) => p[i]), ...(h.insecure ? { disableCertificateVerification: true } : {}) },
    bootMACAddress: h.mac,
    online: h.online === true,
    automatedCleaningMode: "disabled",
    inspectionMode: "disabled",
  });
  return { name: h.name, state: r.provisioningState, poweredOn: r.poweredOn };
});
`;

interface HostEntry {
    name: string;
    address: string;
    mac: string;
    insecure?: boolean;
    online?: boolean;
}

async function stackWith(ns: string, tag: string): Promise<TestStack> {
    const stack = await TestStack.inline(
        "redfish",
        { "Pulumi.yaml": "name: redfish\nruntime: nodejs\n", "package.json": '{"name":"redfish","main":"index.js"}\n', "index.js": PROGRAM },
        tag,
    );
    await stack.setConfig("pulumi-metal3:ironicUrl", process.env.IRONIC_URL as string);
    await stack.setConfig("namespace", ns);
    return stack;
}

async function setHosts(stack: TestStack, hosts: HostEntry[], passwords: string[]): Promise<void> {
    await stack.setConfig("hosts", JSON.stringify(hosts));
    await stack.setConfig("passwords", JSON.stringify(passwords), { secret: true });
}

describe("BareMetalHost on Redfish BMCs (sushy-tools) with the real Pulumi engine", function () {
    this.timeout(600_000);
    const ns = `rfh${Math.random().toString(36).slice(2, 7)}`;
    let client: IronicClient;
    let https: SharedRedfishLab;
    let http: SharedRedfishLab;
    const stacks: TestStack[] = [];

    const nodesOf = async (prefix: string) => (await client.listNodes()).filter((n) => String(n.name ?? "").startsWith(`${ns}~${prefix}`));
    const byName = async (prefix: string) => new Map((await nodesOf(prefix)).map((n) => [String(n.name).slice(ns.length + 1), n]));

    before(async function () {
        this.timeout(3600_000);
        const tc = await ensureToolchain({ log: (s) => process.stderr.write(s + "\n") });
        process.env.PATH = `${tc.binDir}:${process.env.PATH}`;
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
        [https, http] = await Promise.all([sharedRedfishLab("https"), sharedRedfishLab("http")]);
    });

    after(async function () {
        this.timeout(600_000);
        for (const stack of stacks)
            if ((await stack.run(["destroy", "--yes", "--skip-preview"])).code === 0) fs.rmSync(stack.dir, { recursive: true, force: true });
        await client?.close();
    });

    it("one `up`: redfish://, redfish+https:// (verification off), redfish+http://, idrac-redfish, ilo5-redfish hosts reach available on the driver each scheme maps to; power read back from the emulator", async () => {
        const s = https.takeSystems(4);
        const [plain] = http.takeSystems(1);
        const hosts: HostEntry[] = [
            { name: "ok-redfish", address: redfishAddress(https.lab, s[0], "redfish"), mac: s[0].mac, insecure: true },
            { name: "ok-https", address: redfishAddress(https.lab, s[1]), mac: s[1].mac, insecure: true },
            { name: "ok-http", address: redfishAddress(http.lab, plain), mac: plain.mac },
            { name: "ok-idrac", address: redfishAddress(https.lab, s[2], "idrac-redfish+https"), mac: s[2].mac, insecure: true },
            { name: "ok-ilo5", address: redfishAddress(https.lab, s[3], "ilo5-redfish+https"), mac: s[3].mac, insecure: true },
        ];
        const stack = await stackWith(ns, "ok");
        stacks.push(stack);
        await setHosts(
            stack,
            hosts,
            hosts.map((h) => (h.name === "ok-http" ? http.lab.password : https.lab.password)),
        );
        await stack.must(["up", "--yes", "--skip-preview"]);

        const nodes = await byName("ok-");
        const drivers = Object.fromEntries(hosts.map((h) => [h.name, nodes.get(h.name)?.driver]));
        // What BMO maps: idrac-redfish → idrac, ilo5-redfish → redfish (provider/host/bmc.ts).
        expect(drivers).to.deep.equal({ "ok-redfish": "redfish", "ok-https": "redfish", "ok-http": "redfish", "ok-idrac": "idrac", "ok-ilo5": "redfish" });
        for (const h of hosts) expect(nodes.get(h.name)!.provision_state, h.name).to.equal("available");
        expect(nodes.get("ok-idrac")!.management_interface).to.equal("idrac-redfish");
        expect(nodes.get("ok-redfish")!.driver_info.redfish_address).to.equal(`https://127.0.0.1:${https.lab.port}`);
        expect(nodes.get("ok-http")!.driver_info.redfish_address).to.equal(`http://127.0.0.1:${http.lab.port}`);
        expect(nodes.get("ok-https")!.driver_info.redfish_verify_ca).to.equal(false);
        // Power as the emulator itself reports it: available hosts wait powered off (a powered-on
        // host read back from the emulator: the live-iso host of redfish-lab-e2e.test.ts).
        expect(await redfishPowerState(http.lab, plain)).to.equal("Off");
        for (const sys of s) expect(await redfishPowerState(https.lab, sys), sys.name).to.equal("Off");
        const outputs = await stack.outputs();
        expect(outputs.hosts.map((h: { poweredOn: boolean }) => h.poweredOn)).to.deep.equal(hosts.map(() => false));
        const state = (await stack.exportState()).text;
        expect(state).to.not.include(https.lab.password).and.not.include(http.lab.password);
    });

    it("certificate verification on fails clearly on the self-signed certificate; a wrong password names host, BMC and Ironic's last_error", async () => {
        const s = https.takeSystems(2);
        const hosts: HostEntry[] = [
            { name: "bad-verify", address: redfishAddress(https.lab, s[0]), mac: s[0].mac },
            { name: "bad-password", address: redfishAddress(https.lab, s[1]), mac: s[1].mac, insecure: true },
        ];
        const stack = await stackWith(ns, "bad");
        stacks.push(stack);
        await setHosts(stack, hosts, [https.lab.password, "not-the-password"]);
        const up = await stack.run(["up", "--yes", "--skip-preview"]);
        expect(up.code, "a host that cannot reach its BMC must fail the update").to.not.equal(0);
        const out = up.stdout + up.stderr;
        const lines = (name: string) =>
            out
                .split("\n")
                .filter((l) => l.includes(`${ns}~${name}`) && l.includes("last_error"))
                .join("\n");
        const verify = lines("bad-verify");
        expect(verify, out.slice(-3000)).to.match(/CERTIFICATE_VERIFY_FAILED|certificate verify failed/);
        expect(verify).to.include("self-signed certificate").and.include(`127.0.0.1:${https.lab.port}`);
        const password = lines("bad-password");
        expect(password, out.slice(-3000)).to.match(/401|Incorrect username or password/);
        expect(password).to.include(`127.0.0.1:${https.lab.port}/redfish/v1/Systems/${s[1].uuid}`).and.include("enroll");
        expect(out).to.not.include("not-the-password");
        const nodes = await byName("bad-");
        for (const h of hosts) expect(nodes.get(h.name)?.provision_state, h.name).to.equal("enroll");
    });

    it("the emulator stopped in the middle of an `up`: the up fails naming the host; once it is back, the next `up` converges on the same node", async () => {
        const [sys] = http.takeSystems(1);
        const hosts: HostEntry[] = [{ name: "outage-0", address: redfishAddress(http.lab, sys), mac: sys.mac }];
        const stack = await stackWith(ns, "outage");
        stacks.push(stack);
        await setHosts(stack, hosts, [http.lab.password]);
        const up = stack.run(["up", "--yes", "--skip-preview"]);
        // Stop the BMC as soon as Ironic has the node (before it is manageable and available).
        const deadline = Date.now() + 120_000;
        let node = (await nodesOf("outage-0"))[0];
        while (!node && Date.now() < deadline) {
            await sleep(100);
            node = (await nodesOf("outage-0"))[0];
        }
        expect(node, "the node was never enrolled").to.not.equal(undefined);
        await http.stop();
        let failed: Awaited<typeof up>;
        try {
            failed = await up;
        } finally {
            await http.restart();
        }
        expect(failed.code, `the up must fail while the BMC is gone:\n${failed.stdout.slice(-2000)}`).to.not.equal(0);
        expect(failed.stdout + failed.stderr)
            .to.include(`${ns}~outage-0`)
            .and.match(/last_error|BMC|Redfish/);

        await stack.must(["up", "--yes", "--skip-preview"]);
        const after = await nodesOf("outage-0");
        expect(after.map((n) => n.uuid)).to.deep.equal([node.uuid]);
        expect(after[0].provision_state).to.equal("available");
        expect(after[0].power_state).to.equal("power off");
        expect(await redfishPowerState(http.lab, sys)).to.equal("Off");
    });
});
