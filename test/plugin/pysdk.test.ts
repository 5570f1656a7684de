// The Python SDK (sdk-python/, committed): what Pulumi's own Python code generator makes of
// schema.json today (stale → fail), and it installs with the pinned `pulumi` wheel and imports.
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { generatePythonSdk, PYTHON_SDK_DIR, pythonSdkFiles } from "../../local/toolchain/pysdk";
import { ensurePythonEnvironment } from "../../local/python-venv";
import { REPO } from "./project";

describe("Python SDK (sdk-python/)", function () {
    this.timeout(900_000);
    const committed = path.join(REPO, PYTHON_SDK_DIR);

    it("is what pkg/v3/codegen/python generates from schema.json (else: npm run sdk:python)", async () => {
        const fresh = await generatePythonSdk(path.join(REPO, "schema.json"));
        try {
            expect(pythonSdkFiles(committed), "sdk-python's files (npm run sdk:python regenerates them)").to.deep.equal(pythonSdkFiles(fresh));
            const stale = pythonSdkFiles(fresh).filter((f) => !fs.readFileSync(path.join(fresh, f)).equals(fs.readFileSync(path.join(committed, f))));
            expect(stale, "stale files in sdk-python: run npm run sdk:python").to.deep.equal([]);
            // Both resources and the provider's config, as Python; the package carries the schema's version.
            const schema = JSON.parse(fs.readFileSync(path.join(REPO, "schema.json"), "utf8"));
            const host = fs.readFileSync(path.join(fresh, "pulumi_metal3", "bare_metal_host.py"), "utf8");
            expect(host).to.contain("class BareMetalHost(pulumi.CustomResource):");
            expect(host).to.contain(`'metal3:index:BareMetalHost'`);
            expect(fs.readFileSync(path.join(fresh, "pulumi_metal3", "machine.py"), "utf8")).to.contain("class Machine(pulumi.CustomResource):");
            expect(fs.readFileSync(path.join(fresh, "pulumi_metal3", "config", "vars.py"), "utf8")).to.contain("def ironic_url(self)");
            expect(JSON.parse(fs.readFileSync(path.join(fresh, "pulumi_metal3", "pulumi-plugin.json"), "utf8"))).to.deep.equal({
                resource: true,
                name: "metal3",
                version: schema.version,
            });
            expect(fs.readFileSync(path.join(fresh, "setup.py"), "utf8")).to.contain(`VERSION = "${schema.version}"`);
        } finally {
            fs.rmSync(fresh, { recursive: true, force: true });
        }
    });

    it("installs beside pulumi 3.248.0 from PyPI and imports (the Python programs' environment)", async () => {
        const { python } = await ensurePythonEnvironment();
        const code = [
            "import importlib.metadata as m, pulumi, pulumi_metal3 as metal3",
            "from pulumi_metal3 import config",
            "print(m.version('pulumi'), m.version('pulumi_metal3'), metal3.BareMetalHost.__name__, metal3.Machine.__name__, metal3.Provider.__name__)",
        ].join("\n");
        const r = spawnSync(python, ["-c", code], { encoding: "utf8" });
        expect(r.status, `${python}:\n${r.stdout}${r.stderr}`).to.equal(0);
        const version = JSON.parse(fs.readFileSync(path.join(REPO, "schema.json"), "utf8")).version;
        expect(r.stdout.trim()).to.equal(`3.248.0 ${version} BareMetalHost Machine Provider`);
    });
});
