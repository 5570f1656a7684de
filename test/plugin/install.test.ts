// The plugin archive (npm run plugin:pack) installs the ordinary way, `pulumi plugin install
// resource metal3 <version> --file <archive>`, and the engine then runs the installed copy for a
// program that names no plugin path (the repository's bin/ is not on PATH).
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ensureToolchain } from "../../local/toolchain";
import { PluginProject, REPO } from "./project";

describe("pulumi-resource-metal3 archive: pulumi plugin install --file", function () {
    this.timeout(900_000);

    it("packs pulumi-resource-metal3-v<ver>-linux-amd64.tar.gz; once installed, preview runs through it", async () => {
        const binDir = (await ensureToolchain({ skipKubeApiserver: true })).binDir;
        const version = require(path.join(REPO, "package.json")).version;
        const archive = execFileSync("bash", [path.join(REPO, "scripts", "pack-plugin.sh")], { cwd: REPO })
            .toString()
            .trim()
            .split("\n")
            .pop()!;
        expect(path.basename(archive)).to.equal(`pulumi-resource-metal3-v${version}-linux-amd64.tar.gz`);

        const p = PluginProject.create("plugin-installed", binDir, null);
        expect(p.env.PATH!.split(path.delimiter)).to.not.include(path.join(REPO, "bin"));
        await p.must(["plugin", "install", "resource", "metal3", version, "--file", archive]);
        const installed = path.join(p.env.PULUMI_HOME!, "plugins", `resource-metal3-v${version}`, "pulumi-resource-metal3");
        expect(fs.existsSync(installed), installed).to.equal(true);
        expect(await p.must(["plugin", "ls"])).to.match(new RegExp(`metal3\\s+resource\\s+${version.replace(/\./g, "\\.")}`));

        await p.must(["stack", "init", "dev"]);
        await p.must(["config", "set", "metal3:ironicUrl", process.env.IRONIC_URL!]);
        await p.setHosts([{ name: `installed-${process.pid}`, mac: "52:54:03:00:00:01" }]);
        const preview = await p.must(["preview", "--diff"]);
        expect(preview).to.contain("+ metal3:index:BareMetalHost: (create)");
        // Check ran in the installed plugin: a bad input is refused naming the property.
        await p.setHosts([{ name: `installed-${process.pid}`, mac: "not-a-mac" }]);
        const bad = await p.run(["preview"]);
        expect(bad.code).to.not.equal(0);
        expect(bad.out).to.contain("bootMACAddress");
    });
});
