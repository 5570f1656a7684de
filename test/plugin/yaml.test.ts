// Pulumi YAML programs through pulumi-resource-metal3: examples/yaml (two hosts and a Machine)
// with the real engine, the toolchain's pulumi-language-yaml and the suite's Ironic; and
// `pulumi import` into a YAML project, whose generated resource, pasted into the program, makes
// the next `up` a no-op. (Import into a TypeScript project: plugin.test.ts.)
import { randomBytes } from "crypto";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { IronicClient } from "../../provider/ironic";
import { ensureToolchain } from "../../local/toolchain";
import { PluginProject, REPO } from "./project";
import { configureExampleStack, runExampleLifecycle } from "./example-stack";

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
        const BMC_PW = "yaml-bmc-pw-do-not-leak";
        before(async () => {
            p = yamlProject("yaml-example", binDir, fs.readFileSync(path.join(REPO, "examples", "yaml", "Pulumi.yaml"), "utf8"));
            await configureExampleStack(p, ns, BMC_PW);
        });
        after(async () => {
            if (p) await p.run(["destroy", "--yes"]);
        });

        it("preview, up (hosts enrolled, the Machine deployed on one), refresh with no drift, destroy", async () => {
            await runExampleLifecycle(p, () => nodesOf(ns), BMC_PW);
        });
    });

    describe("literal credentials in a YAML program (issue 20)", () => {
        // YAML has no pulumi.secret on a literal: the plugin's check marks the contract's secret
        // paths (sdk/schema/resources.ts) whatever arrived, so state never holds them in clear.
        let p: PluginProject;
        const ns = `yaml-lit-${tag}`;
        const BMC_PW = "literal-bmc-pw-do-not-leak";
        const IRONIC_PW = "literal-ironic-pw-do-not-leak";
        const b = () =>
            Math.floor(Math.random() * 256)
                .toString(16)
                .padStart(2, "0");
        const program = () => `name: yaml-literal
runtime: yaml
plugins:
  providers:
    - name: metal3
      path: ../../bin
resources:
  pool-0:
    type: metal3:index:BareMetalHost
    properties:
      namespace: ${ns}
      bmc:
        address: fake://literal
        username: admin
        password: ${BMC_PW}
      bootMACAddress: 52:54:${b()}:${b()}:${b()}:${b()}
      online: false
      labels:
        pool: ${ns}
      ironic:
        url: ${process.env.IRONIC_URL}
        authType: http_basic
        username: ironic
        password: ${IRONIC_PW}
  machine-0:
    type: metal3:index:Machine
    properties:
      namespace: ${ns}
      hostSelector:
        matchLabels:
          pool: ${ns}
      image:
        url: http://images.example/os.qcow2
        checksum: 0123456789abcdef0123456789abcdef
        format: qcow2
      ironic:
        url: ${process.env.IRONIC_URL}
        authType: http_basic
        username: ironic
        password: ${IRONIC_PW}
    options:
      dependsOn:
        - \${pool-0}
`;
        before(async () => {
            p = yamlProject("yaml-literal", binDir, program());
            await p.must(["stack", "init", "dev"]);
            await p.must(["config", "set", "--secret", "metal3:ownerKey", randomBytes(32).toString("hex")]);
        });
        after(async () => {
            if (p) await p.run(["destroy", "--yes"]);
        });

        it("a literal BMC password and Ironic password are secret in state, on the host and on the Machine", async () => {
            await p.must(["up", "--yes"]);
            expect(await nodesOf(ns)).to.have.length(1);
            const state = await p.must(["stack", "export"]);
            expect(state).to.not.contain(BMC_PW);
            expect(state).to.not.contain(IRONIC_PW);
            const resources = JSON.parse(state).deployment.resources;
            const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
            const isSecret = (v: any) => !!v && typeof v === "object" && v["4dabf18193072939515e22adb298388d"] === SECRET_SIG;
            const host = resources.find((r: any) => r.type === HOST_TYPE);
            const machine = resources.find((r: any) => r.type === "metal3:index:Machine");
            expect(isSecret(host.inputs.bmc.password), JSON.stringify(host.inputs.bmc)).to.equal(true);
            expect(isSecret(host.inputs.ironic.password), JSON.stringify(host.inputs.ironic)).to.equal(true);
            expect(isSecret(host.outputs.ironic), "host outputs.ironic").to.equal(true);
            expect(isSecret(machine.inputs.ironic.password), JSON.stringify(machine.inputs.ironic)).to.equal(true);
            expect(isSecret(machine.outputs.ironic), "Machine outputs.ironic").to.equal(true);
            // The address stays readable: only the contract's paths are secret.
            expect(host.inputs.bmc.address).to.equal("fake://literal");
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
