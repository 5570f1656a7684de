// Pulumi YAML programs through pulumi-resource-metal3: examples/yaml (two hosts and a Machine)
// with the real engine, the toolchain's pulumi-language-yaml and the suite's Ironic; and
// `pulumi import` into a YAML project, whose generated resource, pasted into the program, makes
// the next `up` a no-op. (Import into a TypeScript project: plugin.test.ts.)
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { IronicClient } from "../../provider/ironic";
import { ensureToolchain } from "../../local/toolchain";
import { PluginProject, REPO } from "./project";

const HOST_TYPE = "metal3:index:BareMetalHost";

/** A YAML project under .state/ (two levels below the repo, as examples/yaml, so `../../bin` finds the plugin). */
function yamlProject(name: string, binDir: string, pulumiYaml: string): PluginProject {
    fs.mkdirSync(path.join(REPO, ".state"), { recursive: true });
    const dir = fs.mkdtempSync(path.join(REPO, ".state", `${name}-`));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), pulumiYaml);
    return new PluginProject(dir, binDir);
}

describe("Pulumi YAML programs through the plugin", function () {
    this.timeout(900_000);
    let binDir: string;
    let client: IronicClient;
    const tag = `${process.pid.toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;

    before(async () => {
        binDir = (await ensureToolchain({ skipKubeApiserver: true })).binDir;
        expect(fs.existsSync(path.join(binDir, "pulumi-language-yaml")), "the toolchain builds pulumi-language-yaml").to.equal(true);
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
    });
    after(async () => {
        await client?.close();
    });

    /** Ironic's nodes of one namespace (`<ns>~<name>`). */
    async function nodesOf(ns: string) {
        return (await client.listNodes()).filter((n) => String(n.name).startsWith(`${ns}~`));
    }

    describe("examples/yaml", () => {
        let p: PluginProject;
        const ns = `yaml-${tag}`;
        before(async () => {
            p = yamlProject("yaml-example", binDir, fs.readFileSync(path.join(REPO, "examples", "yaml", "Pulumi.yaml"), "utf8"));
            await p.must(["stack", "init", "dev"]);
            await p.must(["config", "set", "metal3:ironicUrl", process.env.IRONIC_URL!]);
            await p.must(["config", "set", "namespace", ns]);
            const b = () => Math.floor(Math.random() * 256).toString(16).padStart(2, "0");
            await p.must(["config", "set", "macPrefix", `52:54:${b()}`]);
            await p.must(["config", "set", "--secret", "bmcPassword", "yaml-bmc-pw-do-not-leak"]);
        });
        after(async () => {
            if (p) await p.run(["destroy", "--yes"]);
        });

        it("preview, up (hosts enrolled, the Machine deployed on one), refresh with no drift, destroy", async () => {
            const preview = await p.must(["preview"]);
            expect(preview).to.match(/\+ 4 to create/);
            expect(await nodesOf(ns)).to.have.length(0);

            const up = await p.must(["up", "--yes"]);
            expect(up).to.match(/\+ 4 created/);
            const outputs = JSON.parse(await p.must(["stack", "output", "--json"]));
            expect(outputs.machineReady).to.equal(true);
            expect(outputs.workerStates).to.deep.equal(["available", "available"]);
            expect(["worker-0", "worker-1"]).to.include(outputs.machineHost);
            const nodes = await nodesOf(ns);
            const byName = Object.fromEntries(nodes.map((n) => [String(n.name).split("~")[1], n]));
            expect(Object.keys(byName).sort()).to.deep.equal(["worker-0", "worker-1"]);
            const claimed = byName[outputs.machineHost];
            const free = byName[outputs.machineHost === "worker-0" ? "worker-1" : "worker-0"];
            expect([claimed.provision_state, claimed.power_state]).to.deep.equal(["active", "power on"]);
            expect(claimed.allocation_uuid).to.be.a("string");
            expect(JSON.stringify(claimed.instance_info)).to.contain("ubuntu-24.04");
            expect([free.provision_state, free.power_state]).to.deep.equal(["available", "power off"]);
            // The secret config reached the host as a secret: never in clear in state.
            const state = await p.must(["stack", "export"]);
            expect(state).to.not.contain("yaml-bmc-pw-do-not-leak");
            expect(JSON.parse(state).deployment.resources.filter((r: any) => r.type === HOST_TYPE)).to.have.length(2);

            // The Machine powers its host on: no drift of the host's own `online: false`.
            await p.must(["refresh", "--yes", "--expect-no-changes"]);
            await p.must(["preview", "--expect-no-changes"]);

            await p.must(["destroy", "--yes"]);
            expect(await nodesOf(ns)).to.have.length(0);
        });
    });

    describe("pulumi import into a YAML project", () => {
        let p: PluginProject;
        const name = `yaml-imp-${tag}`;
        const header = `name: yaml-import\nruntime: yaml\nplugins:\n  providers:\n    - name: metal3\n      path: ../../bin\n`;
        let uuid: string;
        before(async () => {
            uuid = (await client.createNode({ name: `default~${name}`, driver: "fake-hardware" } as never)).uuid;
            p = yamlProject("yaml-import", binDir, header);
            await p.must(["stack", "init", "dev"]);
            await p.must(["config", "set", "metal3:ironicUrl", process.env.IRONIC_URL!]);
        });
        after(async () => {
            if (p) await p.run(["destroy", "--yes"]);
            if (uuid && (await client.findNode(uuid))) await client.deleteNode(uuid).catch(() => undefined);
        });

        it("generates the resource; the program holding it is a no-op up that leaves the node untouched", async () => {
            const out = path.join(p.dir, "imported.yaml");
            await p.must(["import", HOST_TYPE, name, uuid, "--yes", "--protect=false", "--out", out]);
            const generated = fs.readFileSync(out, "utf8");
            // YAML's short form of the token (metal3:index:BareMetalHost).
            expect(generated).to.match(/type: metal3:(index:)?BareMetalHost\n/);
            expect(generated).to.match(new RegExp(`address: fake://default~${name}`));
            expect(generated).to.match(/online: false/);
            expect(generated).to.match(new RegExp(`name: ${name}`));

            const before = await client.getNode(uuid);
            fs.writeFileSync(path.join(p.dir, "Pulumi.yaml"), header + generated);
            const up = await p.must(["up", "--yes", "--expect-no-changes"]);
            expect(up, up).to.match(/\d+ unchanged/);
            expect(up).to.not.match(/to (update|replace|create)|created|updated/);
            const after = await client.getNode(uuid);
            expect(after.updated_at).to.equal(before.updated_at);
            expect(after.provision_state).to.equal("enroll");
        });
    });
});
