// `npm test` in a shell set up for an operator's Ironic must not touch it: the root hook drops
// IRONIC_URL/OS_* and starts its own Ironic; only PULUMI_METAL3_TEST_IRONIC_URL aims it elsewhere.
// A child mocha with the real root hooks runs a probe spec while IRONIC_URL names a listener that
// records every connection.

import { execFile } from "child_process";
import { expect } from "chai";
import * as net from "net";
import * as path from "path";

const REPO_ROOT = path.resolve(__dirname, "../../..");
const MOCHA = path.join(REPO_ROOT, "node_modules", ".bin", "mocha");
const PROBE = path.join(__dirname, "fixtures", "env-probe.js");
const HOOKS = path.join(__dirname, "..", "support", "hooks.js");

interface Probe {
    IRONIC_URL?: string;
    OS_ENDPOINT?: string;
    OS_PASSWORD: string | null;
    OS_CLOUD: string | null;
    started: string[];
}

function runProbe(env: NodeJS.ProcessEnv): Promise<{ probe: Probe; stderr: string }> {
    return new Promise((resolve, reject) => {
        execFile(
            MOCHA,
            ["--no-config", "--require", HOOKS, "--timeout", "900000", "--exit", PROBE],
            { env, cwd: REPO_ROOT, maxBuffer: 16 << 20 },
            (err, stdout, stderr) => {
                const line = stdout.split("\n").find((l) => l.startsWith("PROBE "));
                if (err || !line) return reject(new Error(`probe run failed: ${err?.message ?? "no PROBE line"}\n${stdout}\n${stderr}`));
                resolve({ probe: JSON.parse(line.slice(6)) as Probe, stderr });
            },
        );
    });
}

describe("the test run uses only Ironics it starts", function () {
    this.timeout(900_000);
    let decoy: net.Server;
    let decoyUrl: string;
    let connections = 0;

    before(async () => {
        decoy = net.createServer((socket) => {
            connections++;
            socket.destroy();
        });
        await new Promise<void>((resolve) => decoy.listen(0, "127.0.0.1", resolve));
        decoyUrl = `http://127.0.0.1:${(decoy.address() as net.AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => decoy.close(() => resolve())));

    it("ignores IRONIC_URL, OS_ENDPOINT, OS_CLOUD and OS_PASSWORD from an operator's shell and starts its own Ironic", async () => {
        const env: NodeJS.ProcessEnv = { ...process.env, IRONIC_URL: decoyUrl, OS_ENDPOINT: decoyUrl, OS_CLOUD: "production", OS_PASSWORD: "operator-secret" };
        delete env.PULUMI_METAL3_TEST_IRONIC_URL;
        const { probe, stderr } = await runProbe(env);
        expect(probe.started).to.have.length(1);
        expect(probe.IRONIC_URL).to.equal(probe.started[0]).and.not.equal(decoyUrl);
        expect(probe.OS_ENDPOINT).to.equal(probe.started[0]);
        expect(probe.OS_PASSWORD).to.equal(null);
        expect(probe.OS_CLOUD).to.equal(null);
        const ignored = /ignoring ([A-Z_, ]+) from the environment/.exec(stderr)?.[1].split(", ") ?? [];
        expect(ignored).to.include.members(["IRONIC_URL", "OS_ENDPOINT", "OS_CLOUD", "OS_PASSWORD"]);
        expect(stderr).to.not.include("operator-secret");
        expect(connections, "connections to the operator's Ironic").to.equal(0);
    });

    it("uses another Ironic only when the test-only PULUMI_METAL3_TEST_IRONIC_URL names it", async () => {
        const ours = process.env.IRONIC_URL as string;
        const env: NodeJS.ProcessEnv = { ...process.env, IRONIC_URL: decoyUrl, PULUMI_METAL3_TEST_IRONIC_URL: ours };
        const { probe } = await runProbe(env);
        expect(probe.started).to.have.length(0);
        expect(probe.IRONIC_URL).to.equal(ours);
        expect(connections).to.equal(0);
    });
});
