// Python programs through pulumi-resource-metal3: examples/python (two hosts and a Machine, written
// against the generated SDK, sdk-python/) with the real engine, our Python language host
// (local/toolchain/python-host.ts), the `pulumi` 3.248.0 wheel in the cached Python environment
// (local/python-venv.ts) and the suite's Ironic. The same stack as examples/yaml (yaml.test.ts).
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { IronicClient } from "../../provider/ironic";
import { ensurePythonEnvironment } from "../../local/python-venv";
import { ensureToolchain } from "../../local/toolchain";
import { PluginProject, REPO } from "./project";
import { configureExampleStack, isSecret, runExampleLifecycle } from "./example-stack";

/**
 * A copy of examples/python under .state/ (two levels below the repo, so `../../bin` finds the
 * plugin), its `venv` the cached Python environment; `main` replaces __main__.py when given.
 */
function pythonProject(name: string, binDir: string, venv: string, main?: string): PluginProject {
    fs.mkdirSync(path.join(REPO, ".state"), { recursive: true });
    const dir = fs.mkdtempSync(path.join(REPO, ".state", `${name}-`));
    const example = path.join(REPO, "examples", "python");
    fs.copyFileSync(path.join(example, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    fs.writeFileSync(path.join(dir, "__main__.py"), main ?? fs.readFileSync(path.join(example, "__main__.py")));
    fs.symlinkSync(venv, path.join(dir, "venv"));
    return new PluginProject(dir, binDir);
}

describe("Python programs through the plugin", function () {
    this.timeout(900_000);
    let binDir: string;
    let venv: string;
    let client: IronicClient;
    const tag = `${process.pid.toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;

    before(async () => {
        binDir = (await ensureToolchain({ skipKubeApiserver: true })).binDir;
        expect(fs.existsSync(path.join(binDir, "pulumi-language-python")), "the toolchain installs our pulumi-language-python").to.equal(true);
        venv = (await ensurePythonEnvironment()).venv;
        client = await IronicClient.connect({ url: process.env.IRONIC_URL });
    });
    after(async () => {
        await client?.close();
    });

    /** Ironic's nodes of one namespace (`<ns>~<name>`). */
    async function nodesOf(ns: string) {
        return (await client.listNodes()).filter((n) => String(n.name).startsWith(`${ns}~`));
    }

    describe("examples/python", () => {
        let p: PluginProject;
        const ns = `py-${tag}`;
        const BMC_PW = "python-bmc-pw-do-not-leak";
        before(async () => {
            p = pythonProject("python-example", binDir, venv);
            await configureExampleStack(p, ns, BMC_PW);
        });
        after(async () => {
            if (p) await p.run(["destroy", "--yes"]);
        });

        it("preview, up (hosts enrolled, the Machine deployed on one), refresh with no drift, destroy; the BMC password secret in state", async () => {
            await runExampleLifecycle(p, () => nodesOf(ns), BMC_PW, {
                // The program's labels (a Python dict: keys are not snake_case-translated) reached Ironic as written.
                labels: true,
                host: (host) => {
                    expect(isSecret(host.inputs.bmc.password), JSON.stringify(host.inputs.bmc)).to.equal(true);
                    expect(host.inputs.bmc.address).to.match(/^fake:\/\/bmc-worker-[01]$/);
                },
            });
        });
    });

    describe("a failing Python program", () => {
        it("bad input is rejected at preview naming the property, before Ironic is touched", async () => {
            const ns = `py-bad-${tag}`;
            const program = [
                "import pulumi_metal3 as metal3",
                `metal3.BareMetalHost("bad-0", namespace="${ns}", bmc={"address": "fake://bad"}, boot_mac_address="not-a-mac", online=False)`,
                "",
            ].join("\n");
            const p = pythonProject("python-bad", binDir, venv, program);
            await p.must(["stack", "init", "dev"]);
            await p.must(["config", "set", "metal3:ironicUrl", process.env.IRONIC_URL!]);
            const r = await p.run(["preview"]);
            expect(r.code, r.out).to.not.equal(0);
            expect(r.out).to.match(/bootMACAddress/);
            expect(await nodesOf(ns)).to.have.length(0);
        });

        it("an exception in the program fails the preview with the program's traceback", async () => {
            const p = pythonProject("python-raise", binDir, venv, 'def broken():\n    raise ValueError("no hosts configured")\n\nbroken()\n');
            await p.must(["stack", "init", "dev"]);
            const r = await p.run(["preview"]);
            expect(r.code, r.out).to.not.equal(0);
            expect(r.out).to.contain("ValueError: no hosts configured");
            expect(r.out).to.match(/__main__\.py", line 2, in broken/);
            // The traceback starts in the program: not in the host's exec script, runpy or the SDK.
            expect(r.out).to.not.match(/python-exec\.py|runpy|run_in_stack/);
            // Reported once by the program (the host answers "bail"), not as a bare exit code.
            expect(r.out).to.not.match(/non-zero exit code/);
        });
    });
});
