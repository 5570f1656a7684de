// `pulumi-metal3 toolchain` as the README and COMMON set-up run it: spawned, it prints
// TOOLCHAIN_BIN=<dir> on stdout, and that directory holds what the tests and the demo put on PATH
// (docs/TOOLCHAIN.md): the pinned `pulumi`, our Node.js language host, the Kubernetes provider
// plugin and kube-apiserver, each runnable.
import { execFile } from "child_process";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

const CLI = path.resolve(__dirname, "../../../bin/pulumi-metal3");

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(command, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
            const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
            resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
        });
    });
}

describe("pulumi-metal3 toolchain (CLI)", function () {
    // A machine's first run builds everything from Go modules (README: 25–35 min under load).
    this.timeout(3_600_000);

    it("prints TOOLCHAIN_BIN=<dir> on stdout, nothing else; the pinned pulumi, the language host, the Kubernetes plugin and kube-apiserver run from it", async () => {
        const r = await run(process.execPath, [CLI, "toolchain"]);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.match(/^TOOLCHAIN_BIN=\/\S+\n$/);
        const bin = r.stdout.trim().slice("TOOLCHAIN_BIN=".length);
        for (const name of ["pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes", "kube-apiserver"]) {
            expect(fs.existsSync(path.join(bin, name)), `${name} in ${bin}`).to.equal(true);
        }
        const pulumi = await run(path.join(bin, "pulumi"), ["version"]);
        expect(pulumi.code, pulumi.stderr).to.equal(0);
        expect(pulumi.stdout.trim()).to.equal("v3.248.0");
        const apiserver = await run(path.join(bin, "kube-apiserver"), ["--version"]);
        expect(apiserver.code, apiserver.stderr).to.equal(0);
        expect(apiserver.stdout).to.match(/^Kubernetes v\d+\.\d+/);
        // The same directory a second time, found in the cache.
        const again = await run(process.execPath, [CLI, "toolchain"]);
        expect(again.stdout).to.equal(r.stdout);
    });

    it("an unknown argument prints the usage and exits 2", async () => {
        const r = await run(process.execPath, [CLI, "toolchain", "--fast"]);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.include("usage: pulumi-metal3 toolchain [--no-kube-apiserver]");
    });
});
