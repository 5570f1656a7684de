// `pulumi-metal3 kube status` as a script reads it: exit 0 running, 3 stopped — the same codes as
// `ironic status`, `bmc status` and `lab status` (1 is left to "the command failed").
import { spawnSync } from "child_process";
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const CLI = path.resolve(__dirname, "../../../bin/pulumi-metal3");

describe("kube status (CLI)", () => {
    it("exits 3 and says not running for a state directory with no API server", () => {
        const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-metal3-kube-status-"));
        try {
            const r = spawnSync(process.execPath, [CLI, "kube", "status", "--state-dir", stateDir], { encoding: "utf8" });
            expect(r.status, r.stderr).to.equal(3);
            expect(JSON.parse(r.stdout).running).to.equal(false);
        } finally {
            fs.rmSync(stateDir, { recursive: true, force: true });
        }
    });
});
