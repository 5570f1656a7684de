// BareMetalHost under the real Pulumi engine (CLI built by the toolchain, local file backend):
// what an operator sees at `pulumi preview --diff`, and what lands in the state file.
import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { IronicClient } from "../../provider/ironic";
import { ensureToolchain, pulumiEnv } from "../../local/toolchain";
import { createHash } from "crypto";
import { canonicalJson, sha256 } from "../../provider/host/desired";
import { EXTRA } from "../../provider/host/lifecycle";

const REPO = path.resolve(__dirname, "../../..");

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { BareMetalHost } = require("pulumi-metal3/dist/sdk/baremetalhost");
const cfg = new pulumi.Config();
const img = cfg.get("image");
const host = new BareMetalHost(cfg.require("hostName"), {
    bmc: { address: "fake://engine", password: "bmc-pw-do-not-leak" },
    online: true,
    bootMACAddress: cfg.require("mac"),
    ...(img ? { image: { url: img, checksum: "0123456789abcdef", format: "qcow2" }, userData: "#cloud-config\\npassword: userdata-do-not-leak\\n" } : {}),
});
exports.state = host.provisioningState;
exports.uuid = host.nodeUuid;
`;

describe("BareMetalHost under the real pulumi engine", function () {
    this.timeout(900_000);
    let dir: string;
    let env: NodeJS.ProcessEnv;
    let client: IronicClient;
    const hostName = `engine-${process.pid}`;
    const mac = `52:54:01:${((process.pid >> 8) % 256).toString(16).padStart(2, "0")}:${(process.pid % 256).toString(16).padStart(2, "0")}:${Math.floor(
        Math.random() * 256,
    )
        .toString(16)
        .padStart(2, "0")}`;

    function pulumi(args: string[]): Promise<{ code: number; out: string }> {
        return new Promise((resolve, reject) => {
            const child = spawn("pulumi", [...args, "--non-interactive"], { cwd: dir, env });
            let out = "";
            child.stdout.on("data", (d) => (out += d));
            child.stderr.on("data", (d) => (out += d));
            child.on("error", reject);
            child.on("close", (code) => resolve({ code: code ?? -1, out }));
        });
    }
    async function must(args: string[]): Promise<string> {
        const r = await pulumi(args);
        if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed (${r.code}):\n${r.out}`);
        return r.out;
    }

    before(async () => {
        const tc = await ensureToolchain({ skipKubeApiserver: true });
        dir = fs.mkdtempSync(path.join(REPO, ".state", "host-engine-"));
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: host-engine\nruntime: nodejs\n");
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "host-engine", main: "index.js" }));
        fs.writeFileSync(path.join(dir, "index.js"), PROGRAM);
        env = { ...pulumiEnv(tc.binDir, { backendDir: path.join(dir, ".backend") }), NO_COLOR: "1" };
        // Ironic is reached through stack config only (configure), as a user would set it up.
        delete env.IRONIC_URL;
        delete env.OS_ENDPOINT;
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
        await must(["stack", "init", "dev"]);
        await must(["config", "set", "pulumi-metal3:ironicUrl", process.env.IRONIC_URL!]);
        await must(["config", "set", "hostName", hostName]);
        await must(["config", "set", "mac", mac]);
    });
    after(async () => {
        if (dir) await pulumi(["destroy", "--yes"]).catch(() => undefined);
        await client?.close();
    });

    it("up provisions; preview --diff names the host that an image change will wipe; state holds no secret in clear; destroy removes the node", async () => {
        await must(["up", "--yes"]);
        let node = await client.getNode(`default~${hostName}`);
        expect([node.provision_state, node.power_state]).to.deep.equal(["available", "power off"]);

        // An image on an available host: an update, but nothing to wipe, so no warning.
        await must(["config", "set", "image", "http://127.0.0.1:1/os-1.qcow2"]);
        const firstPreview = await must(["preview", "--diff"]);
        expect(firstPreview).to.not.contain("WILL REPROVISION");
        await must(["up", "--yes"]);
        node = await client.getNode(`default~${hostName}`);
        expect(node.provision_state).to.equal("active");

        // Same program again: no changes.
        const noop = await must(["preview", "--diff"]);
        expect(noop).to.match(/2 unchanged/);

        // Powered off behind Pulumi's back: refresh records the drift, the next preview shows it
        // and up powers the host back on.
        await client.setPowerState(node.uuid, "power off");
        await client.waitForPowerState(node.uuid, "power off", { timeoutMs: 60_000 });
        await must(["refresh", "--yes"]);
        const drift = await must(["preview", "--diff"]);
        expect(drift).to.match(/~ online\s*: false => true/);
        await must(["up", "--yes"]);
        expect((await client.getNode(node.uuid)).power_state).to.equal("power on");
        expect(await must(["preview", "--diff"])).to.match(/2 unchanged/);

        // A new image on a provisioned host: the preview says which host will be wiped, and why.
        await must(["config", "set", "image", "http://127.0.0.1:1/os-2.qcow2"]);
        const preview = await must(["preview", "--diff"]);
        expect(preview).to.contain(`WILL REPROVISION (wipe) host default~${hostName}: image changed`);
        expect(preview).to.match(/~ url\s*: "http:\/\/127.0.0.1:1\/os-1.qcow2" => "http:\/\/127.0.0.1:1\/os-2.qcow2"/);
        // Only the password is hidden: the BMC address stays readable in the diff.
        expect(preview).to.match(/address\s*: "fake:\/\/engine"/);
        expect(preview).to.match(/password\s*: \[secret\]/);
        expect(preview).to.not.contain("bmc-pw-do-not-leak");

        const state = await must(["stack", "export"]);
        expect(state).to.not.contain("bmc-pw-do-not-leak");
        expect(state).to.not.contain("userdata-do-not-leak");
        expect(state).to.contain("pulumi-nodejs:dynamic/pulumi-metal3:BareMetalHost");
        // Digests of the secrets: keyed, the key a secret in state, nothing computable from a secret alone.
        const outputs = JSON.parse(state).deployment.resources.find((r: { type: string }) => r.type.endsWith("pulumi-metal3:BareMetalHost")).outputs;
        expect(outputs.secretDigests).to.have.property("ciphertext");
        for (const secret of ["bmc-pw-do-not-leak", "#cloud-config\npassword: userdata-do-not-leak\n"]) {
            for (const guess of [sha256(secret), sha256(canonicalJson(secret)), createHash("sha256").update(secret).digest("hex")])
                expect(state).to.not.contain(guess);
        }
        const deployed = (await client.getNode(node.uuid)).extra[EXTRA.deployment] as string;
        expect(deployed).to.match(/^hmac-sha256:[0-9a-f]{12}:[0-9a-f]{64}$/);
        expect(state).to.not.contain(deployed.split(":")[2]);

        await must(["destroy", "--yes"]);
        expect(await client.findNode(node.uuid)).to.equal(undefined);
    });
});
