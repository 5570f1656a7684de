// pulumi-resource-metal3 under the real engine: a TypeScript program of `metal3.BareMetalHost`
// custom resources (the plugin found through Pulumi.yaml plugins.providers), against real Ironic.
import { expect } from "chai";
import { execFileSync } from "child_process";
import { IronicClient } from "../../provider/ironic";
import { ensureToolchain } from "../../local/toolchain";
import { startExtraIronic } from "../support/hooks";
import { PluginProject } from "./project";

const HOST_TYPE = "metal3:index:BareMetalHost";

function randomMac(): string {
    const b = () =>
        Math.floor(Math.random() * 256)
            .toString(16)
            .padStart(2, "0");
    return `52:54:02:${b()}:${b()}:${b()}`;
}

/** Diagnostic events carried by the engine for one resource (by the URN's last segment). */
function diagnosticsFor(events: any[], name: string): Array<{ urn: string; message: string; severity: string }> {
    return events.map((e) => e.diagnosticEvent).filter((d) => d && typeof d.urn === "string" && d.urn.endsWith(`::${HOST_TYPE}::${name}`));
}

describe("pulumi-resource-metal3 plugin under the real engine", function () {
    this.timeout(900_000);
    let binDir: string;
    let client: IronicClient;
    const tag = `${process.pid.toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;

    before(async () => {
        binDir = (await ensureToolchain({ skipKubeApiserver: true })).binDir;
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
    });
    after(async () => {
        await client?.close();
    });

    describe("a TypeScript program of metal3.BareMetalHost", () => {
        let p: PluginProject;
        const a = `plug-a-${tag}`;
        const b = `plug-b-${tag}`;
        const hosts = [
            { name: a, mac: randomMac(), password: "bmc-pw-do-not-leak" },
            { name: b, mac: randomMac() },
        ];
        before(async () => {
            p = PluginProject.create("plugin-ts", binDir);
            await p.must(["stack", "init", "dev"]);
            await p.must(["config", "set", "metal3:ironicUrl", process.env.IRONIC_URL!]);
            await p.setHosts(hosts);
        });
        after(async () => {
            if (p) await p.run(["destroy", "--yes"]);
        });

        it("previews, creates with progress on each host's row, changes in place with a detailed diff, keeps secrets, destroys", async () => {
            const preview = await p.must(["preview", "--diff"]);
            expect(preview).to.contain(`+ ${HOST_TYPE}: (create)`);
            expect(preview).to.match(/password\s*: \[secret\]/);

            const up = await p.run(["up", "--yes", "--json"]);
            expect(up.code, up.out).to.equal(0);
            for (const h of hosts) {
                const node = await client.getNode(`default~${h.name}`);
                expect([node.provision_state, node.power_state]).to.deep.equal(["available", "power off"]);
                // Progress went to the engine with the host's URN (its own row), not to the stack's.
                const diags = diagnosticsFor(PluginProject.events(up.stdout), h.name);
                expect(diags.map((d) => d.message).join("\n"), `progress of ${h.name}`).to.match(/inspect/i);
            }
            expect(up.out).to.not.contain("[bmh default~");

            // The state: typed as the package's resource, no secret in clear, digests as secrets.
            const state = await p.must(["stack", "export"]);
            expect(state).to.contain(`"type": "${HOST_TYPE}"`);
            expect(state).to.not.contain("bmc-pw-do-not-leak");
            const exported = JSON.parse(state);
            const res = exported.deployment.resources.find((r: any) => r.type === HOST_TYPE && r.urn.endsWith(`::${a}`));
            expect(res.outputs.secretDigests).to.have.property("ciphertext");
            expect(res.inputs.bmc.password).to.have.property("ciphertext");

            // Same program: nothing to do.
            await p.must(["preview", "--expect-no-changes"]);

            // A description on one host: an in-place update, shown property by property.
            await p.setHosts([{ ...hosts[0], description: "rack 7" }, hosts[1]]);
            const diff = await p.must(["preview", "--diff"]);
            expect(diff).to.match(/~ description\s*: "rack 7"|\+ description\s*: "rack 7"/);
            expect(diff).to.contain("1 to update");
            expect(diff).to.not.contain("replace");
            await p.must(["up", "--yes"]);
            expect((await client.getNode(`default~${a}`)).description).to.equal("rack 7");
            // The same-password check goes through the salted digest: no change.
            await p.must(["preview", "--expect-no-changes"]);

            await p.must(["destroy", "--yes"]);
            for (const h of hosts) expect(await client.findNode(`default~${h.name}`)).to.equal(undefined);
        });
    });

    describe("pulumi import of a hand-enrolled node", () => {
        let p: PluginProject;
        const name = `plug-imp-${tag}`;
        let uuid: string;
        before(async () => {
            const node = await client.createNode({ name: `default~${name}`, driver: "fake-hardware" } as never);
            uuid = node.uuid;
            p = PluginProject.create("plugin-import", binDir);
            await p.must(["stack", "init", "dev"]);
            await p.must(["config", "set", "metal3:ironicUrl", process.env.IRONIC_URL!]);
            await p.setHosts([]);
        });
        after(async () => {
            if (p) await p.run(["destroy", "--yes"]);
            if (uuid && (await client.findNode(uuid))) await client.deleteNode(uuid).catch(() => undefined);
        });

        it("a wrong id fails naming it; the node's UUID imports, and the program declaring it is a no-op up", async () => {
            const wrong = await p.run(["import", HOST_TYPE, name, "no-such-node-" + tag, "--yes", "--generate-code=false"]);
            expect(wrong.code).to.not.equal(0);
            expect(wrong.out).to.contain(`has no node with that UUID or name`);
            expect(wrong.out).to.contain(`no-such-node-${tag}`);

            const imported = await p.run(["import", HOST_TYPE, name, uuid, "--yes", "--generate-code=false"]);
            expect(imported.code, imported.out).to.equal(0);
            const state = JSON.parse(await p.must(["stack", "export"]));
            const res = state.deployment.resources.find((r: any) => r.type === HOST_TYPE);
            expect(res.id).to.equal(uuid);
            expect(res.inputs).to.include({ name, online: false });
            expect(res.inputs.bmc).to.deep.equal({ address: `fake://default~${name}` });

            // The program now declares what was imported: nothing to do, nothing done to the node.
            const before = await client.getNode(uuid);
            await p.setHosts([{ name, address: `fake://default~${name}` }]);
            const up = await p.must(["up", "--yes", "--expect-no-changes"]);
            expect(up).to.match(/\d+ unchanged/);
            expect(up).to.not.match(/to (update|replace|create)/);
            const after = await client.getNode(uuid);
            expect(after.updated_at).to.equal(before.updated_at);
            expect(after.provision_state).to.equal("enroll");
        });
    });

    describe("pulumi import of a Machine", () => {
        let p: PluginProject;
        let uuid: string;
        before(async () => {
            uuid = (await client.createNode({ name: `default~plug-imp-m-${tag}`, driver: "fake-hardware" } as never)).uuid;
            p = PluginProject.create("plugin-import-machine", binDir);
            await p.must(["stack", "init", "dev"]);
            await p.must(["config", "set", "metal3:ironicUrl", process.env.IRONIC_URL!]);
            await p.setHosts([]);
        });
        after(async () => {
            if (uuid && (await client.findNode(uuid))) await client.deleteNode(uuid).catch(() => undefined);
        });

        it("is refused, saying to import the host and declare the Machine; nothing enters the state and the node is untouched (docs/PLUGIN.md)", async () => {
            const before = await client.getNode(uuid);
            const imported = await p.run(["import", "metal3:index:Machine", `m-${tag}`, uuid, "--yes", "--generate-code=false"]);
            expect(imported.code, imported.out).to.not.equal(0);
            expect(imported.out).to.contain("importing a Machine is not supported: import its host (metal3:index:BareMetalHost) and declare the Machine");
            const state = JSON.parse(await p.must(["stack", "export"]));
            expect((state.deployment.resources ?? []).some((r: any) => r.type === "metal3:index:Machine")).to.equal(false);
            expect((await client.getNode(uuid)).updated_at).to.equal(before.updated_at);
        });
    });

    describe("customTimeouts on a slow host", () => {
        let p: PluginProject;
        let slow: IronicClient;
        const name = `plug-slow-${tag}`;
        before(async () => {
            // Inspection takes 40 s here: a 5 s create deadline must end the create long before.
            const ironic = await startExtraIronic({ fakeDelays: { power: "0", deploy: "1", inspect: "40", boot: "0" } });
            slow = await IronicClient.connect({ url: ironic.url });
            p = PluginProject.create("plugin-timeout", binDir);
            await p.must(["stack", "init", "dev"]);
            await p.must(["config", "set", "metal3:ironicUrl", ironic.url]);
            await p.setHosts([{ name, mac: randomMac(), createTimeout: "5s" }]);
        });
        after(async () => {
            if (p) await p.run(["destroy", "--yes"]);
            await slow?.close();
        });

        it('create: {"5s"} fails at about 5 s naming the host, with the inspection\'s progress on its row', async () => {
            const up = await p.run(["up", "--yes", "--json"]);
            expect(up.code, up.out).to.not.equal(0);
            expect(up.out).to.contain(`host default~${name}`);
            expect(up.out).to.match(/timed out|did not|deadline|within/i);
            const events = PluginProject.events(up.stdout);
            const diags = diagnosticsFor(events, name);
            expect(
                diags.some((d) => /inspect/i.test(d.message)),
                JSON.stringify(diags),
            ).to.equal(true);
            // From the engine's start of the create to its failure (event timestamps, seconds): the
            // 5 s deadline (enrolment included), far from the 40 s the inspection takes.
            const at = (kind: string) => events.find((e) => e[kind]?.metadata?.urn?.endsWith(`::${name}`) && e[kind].metadata.op === "create")?.timestamp;
            const took = at("resOpFailedEvent") - at("resourcePreEvent");
            expect(took, up.out).to.be.within(4, 12);
            // The node is kept in state (partially created), so destroy can take it back.
            const state = JSON.parse(await p.must(["stack", "export"]));
            expect(state.deployment.resources.some((r: any) => r.type === HOST_TYPE)).to.equal(true);
        });
    });
});

/** The plugin binary answers GetSchema with the package schema (`pulumi package get-schema`). */
describe("pulumi package get-schema on the plugin", function () {
    this.timeout(300_000);
    it("prints the metal3 package: version, config, both resources and their components", async () => {
        const binDir = (await ensureToolchain({ skipKubeApiserver: true })).binDir;
        const p = PluginProject.create("plugin-schema", binDir);
        const out = execFileSync("pulumi", ["package", "get-schema", `${require("path").join(p.dir, "..", "..", "bin", "pulumi-resource-metal3")}`], {
            cwd: p.dir,
            env: { ...p.env, PULUMI_DISABLE_REGISTRY_RESOLVE: "true" },
        }).toString();
        const schema = JSON.parse(out);
        expect(schema.name).to.equal("metal3");
        expect(schema.version).to.equal(require("../../../package.json").version);
        expect(schema.config.variables.ironicPassword.secret).to.equal(true);
        expect(Object.keys(schema.resources).sort()).to.deep.equal([
            "metal3:index:BareMetalHost",
            "metal3:index:BareMetalHostWithObjects",
            "metal3:index:Machine",
            "metal3:index:MachineWithObjects",
        ]);
        // The components (Construct, sdk/plugin/components.ts) hold the Kubernetes objects.
        expect(schema.resources["metal3:index:BareMetalHostWithObjects"].isComponent).to.equal(true);
        expect(schema.resources["metal3:index:MachineWithObjects"].isComponent).to.equal(true);
    });
});
