// `pulumi-metal3 kube start|status|stop` as a script reads it: `status` exits 0 running, 3 stopped —
// the same codes as `ironic status`, `bmc status` and `lab status` (1 is left to "the command
// failed"); `start` without `--crds` installs no CRDs (README, Commands).
import { spawnSync } from "child_process";
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { kubeRequest } from "../../local/kube";
import { findFreePort } from "../../local/proc";
import { ensureToolchain } from "../../local/toolchain";

const CLI = path.resolve(__dirname, "../../../bin/pulumi-metal3");
const kube = (...args: string[]) => spawnSync(process.execPath, [CLI, "kube", ...args], { encoding: "utf8" });

describe("kube status (CLI)", () => {
    it("exits 3 and says not running for a state directory with no API server", () => {
        const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-metal3-kube-status-"));
        try {
            const r = kube("status", "--state-dir", stateDir);
            expect(r.status, r.stderr).to.equal(3);
            expect(JSON.parse(r.stdout).running).to.equal(false);
        } finally {
            fs.rmSync(stateDir, { recursive: true, force: true });
        }
    });

    it("start without --crds: an API server with no CRDs; status exits 0 while it runs and 3 once stopped", async function () {
        this.timeout(3_600_000);
        // kube-apiserver and etcd come from the toolchain (a machine's first run builds it).
        await ensureToolchain({ log: (s) => process.stderr.write(s + "\n") });
        this.timeout(300_000);
        const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-metal3-kube-status-"));
        try {
            const started = kube("start", "--state-dir", stateDir, "--port", String(await findFreePort()));
            expect(started.status, started.stderr).to.equal(0);
            const kubeconfig = started.stdout.match(/^KUBECONFIG=(.+)$/m)?.[1];
            expect(kubeconfig, started.stdout).to.be.a("string");
            const crds = await kubeRequest(kubeconfig!, "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions");
            expect(crds.status).to.equal(200);
            expect(crds.body.items).to.deep.equal([]);
            const running = kube("status", "--state-dir", stateDir);
            expect(running.status, running.stderr).to.equal(0);
            expect(JSON.parse(running.stdout).running).to.equal(true);
            const stopped = kube("stop", "--state-dir", stateDir);
            expect(stopped.status, stopped.stderr).to.equal(0);
            const after = kube("status", "--state-dir", stateDir);
            expect(after.status, after.stderr).to.equal(3);
        } finally {
            kube("stop", "--state-dir", stateDir);
            fs.rmSync(stateDir, { recursive: true, force: true });
        }
    });
});
