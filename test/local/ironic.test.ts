// `pulumi-metal3 ironic start|stop|status` against the real thing: each check runs the CLI as a
// user would and looks at the running Ironic with `baremetal`, its REST API and its processes.

import { execFile, spawn } from "child_process";
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stateFiles } from "../../local/ironic";
import { ironicRequirementsFile, ironicVenvCacheDir, pinnedVersion } from "../../local/ironic-venv";
import { findFreePort, httpGet, isProcessAlive, processCommandLine, readPidFile, waitForHttp } from "../../local/proc";
import { compareMicroversions, IronicClient } from "../../provider/ironic/client";

const REPO_ROOT = path.resolve(__dirname, "../../..");
const CLI = path.join(REPO_ROOT, "bin", "pulumi-metal3");

interface CliResult {
    code: number;
    stdout: string;
    stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
    return new Promise((resolve) => {
        execFile(command, args, { env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
            const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
            resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
        });
    });
}

const cli = (...args: string[]) => run(process.execPath, [CLI, ...args]);

/** `baremetal` aimed at `url` only through its argument (no OS_ENDPOINT inherited from the test run). */
function baremetal(url: string, args: string[], auth: { username: string; password: string } | "none" = "none"): Promise<CliResult> {
    const env = { ...process.env };
    delete env.OS_ENDPOINT;
    delete env.IRONIC_URL;
    delete env.OS_CLOUD;
    if (auth === "none") env.OS_AUTH_TYPE = "none";
    else Object.assign(env, { OS_AUTH_TYPE: "http_basic", OS_USERNAME: auth.username, OS_PASSWORD: auth.password });
    return run("baremetal", ["--os-endpoint", url, "--os-baremetal-api-version", "1.82", ...args], env);
}

/** The NAME=value lines `ironic start` / `status` print, as a user's shell would export them. */
function printedVariables(stdout: string): Record<string, string> {
    return Object.fromEntries(
        stdout
            .split("\n")
            .filter((l) => /^[A-Z_]+=/.test(l))
            .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
}

/** The test run's environment without any Ironic settings of its own (hooks.ts set OS_ENDPOINT, OS_AUTH_TYPE for its Ironic). */
function withoutIronicSettings(): NodeJS.ProcessEnv {
    const env = { ...process.env };
    for (const k of ["OS_ENDPOINT", "IRONIC_URL", "OS_CLOUD", "OS_AUTH_TYPE", "OS_USERNAME", "OS_PASSWORD", "OS_CLIENT_CONFIG_FILE"]) delete env[k];
    return env;
}

/** `baremetal` with nothing but the variables `ironic start` printed (exported as a user would). */
function baremetalWithPrinted(printed: Record<string, string>, args: string[]): Promise<CliResult> {
    return run("baremetal", ["--os-baremetal-api-version", "1.82", ...args], { ...withoutIronicSettings(), ...printed });
}

function expectOk(result: CliResult, what: string): void {
    expect(result.code, `${what} failed:\n${result.stderr}`).to.equal(0);
}

/** A process id that certainly names no live process: a child that has already exited. */
function deadPid(): Promise<number> {
    return new Promise((resolve) => {
        const child = spawn("true");
        child.once("exit", () => resolve(child.pid as number));
    });
}

describe("pulumi-metal3 ironic start|status|stop", function () {
    this.timeout(180_000);
    let stateDir: string;
    let files: ReturnType<typeof stateFiles>;
    let port: number;
    let url: string;

    before(async () => {
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-metal3-ironic-cli-"));
        files = stateFiles(stateDir);
        port = await findFreePort();
        url = `http://127.0.0.1:${port}`;
    });

    after(async function () {
        this.timeout(60_000);
        await cli("ironic", "stop", "--state-dir", stateDir);
        fs.rmSync(stateDir, { recursive: true, force: true });
    });

    let printed: Record<string, string>;
    let password: string;

    it("start is authenticated by default: prints IRONIC_URL, OS_CLIENT_CONFIG_FILE and OS_CLOUD (never the password); 401 without them, `baremetal` and the provider's client work with them", async () => {
        const started = await cli("ironic", "start", "--state-dir", stateDir, "--port", String(port));
        expectOk(started, "ironic start");
        expect(started.stdout).to.equal(`IRONIC_URL=${url}\nOS_CLIENT_CONFIG_FILE=${files.cloudsYaml}\nOS_CLOUD=pulumi-metal3-local\n`);
        printed = printedVariables(started.stdout);
        password = fs.readFileSync(files.password, "utf8").trim();
        expect(password).to.have.length.at.least(24);
        expect(started.stdout + started.stderr).to.not.include(password);
        expect(started.stderr).to.include(files.password);
        for (const f of [files.password, files.cloudsYaml, files.htpasswd]) expect(fs.statSync(f).mode & 0o777, f).to.equal(0o600);
        expect(fs.readFileSync(files.htpasswd, "utf8"))
            .to.match(/^pulumi-metal3:\$2[aby]\$/)
            .and.not.include(password);
        expect(fs.readFileSync(files.config, "utf8")).to.include("auth_strategy = http_basic").and.not.include(password);

        // Without credentials: refused (version discovery stays public).
        expect((await httpGet(`${url}/v1/nodes`))?.status).to.equal(401);
        expect((await baremetal(url, ["node", "list"])).code, "baremetal without credentials").to.not.equal(0);
        // The provider's own credential path, with exactly what was printed in the environment:
        // IRONIC_URL and the OS_CLOUD cloud name the same endpoint, so the cloud's credentials are used.
        const printedOnly = { ...withoutIronicSettings(), ...printed };
        const client = await IronicClient.connect({}, printedOnly);
        try {
            expect(await client.listNodes()).to.be.an("array");
        } finally {
            await client.close();
        }
        // IRONIC_URL alone (the old way): the provider sends no credentials and Ironic refuses.
        const urlOnly = await IronicClient.connect({}, { ...withoutIronicSettings(), IRONIC_URL: url });
        try {
            const refused = await urlOnly.listNodes().then(
                () => undefined,
                (e: Error) => e,
            );
            expect(refused?.message).to.match(/401|nauthorized/);
        } finally {
            await urlOnly.close();
        }
        // It says which Ironic and which API versions it offers: Metal³'s baremetal-operator needs 1.89.
        const pinned = pinnedVersion(fs.readFileSync(ironicRequirementsFile(), "utf8"), "ironic");
        const offered = /Ironic (\S+), API (\d+\.\d+)–(\d+\.\d+)\)/.exec(started.stderr);
        expect(offered, started.stderr).to.not.equal(null);
        expect(offered![1]).to.equal(pinned);
        expect(compareMicroversions(offered![3], "1.89"), `API max ${offered![3]}`).to.be.at.least(0);
        const root = JSON.parse((await httpGet(`${url}/`))!.body);
        expect(root.default_version.version).to.equal(offered![3]);
        // The process runs from the cached PyPI environment, not from a system package.
        const cmdline = processCommandLine(readPidFile(files.pid) as number) ?? "";
        expect(cmdline).to.include(ironicVenvCacheDir()).and.include(files.config);

        const drivers = await baremetalWithPrinted(printed, ["driver", "list", "-f", "value", "-c", "name"]);
        expectOk(drivers, "baremetal driver list");
        expect(drivers.stdout.split("\n")).to.include.members(["fake-hardware", "ipmi", "redfish", "manual-management"]);

        const created = await baremetalWithPrinted(printed, [
            "node",
            "create",
            "--driver",
            "fake-hardware",
            "--name",
            "cli-probe",
            "-f",
            "value",
            "-c",
            "uuid",
        ]);
        expectOk(created, "baremetal node create");
        const listed = await baremetalWithPrinted(printed, ["node", "list", "-f", "json"]);
        expectOk(listed, "baremetal node list");
        expect(JSON.parse(listed.stdout).map((n: { name: string }) => n.name)).to.include("cli-probe");
    });

    it("keeps its state private: state dir 0700, database and config 0600, http_root served without listings", async () => {
        expect(fs.statSync(files.dir).mode & 0o777).to.equal(0o700);
        expect(fs.statSync(files.database).mode & 0o777).to.equal(0o600);
        expect(fs.statSync(files.config).mode & 0o777).to.equal(0o600);
        const httpUrl = /^http_url = (.*)$/m.exec(fs.readFileSync(files.config, "utf8"))![1];
        fs.mkdirSync(path.join(files.httpRoot, "probe"), { recursive: true });
        fs.writeFileSync(path.join(files.httpRoot, "probe", "file.txt"), "served\n");
        expect((await httpGet(`${httpUrl}/`))?.status).to.equal(404);
        expect((await httpGet(`${httpUrl}/probe/`))?.status).to.equal(404);
        const file = await httpGet(`${httpUrl}/probe/file.txt`);
        expect(file?.status).to.equal(200);
        expect(file?.body).to.equal("served\n");
    });

    it("a second start reports the running Ironic instead of starting another", async () => {
        const pidBefore = readPidFile(files.pid);
        expect(pidBefore).to.be.a("number");
        const again = await cli("ironic", "start", "--state-dir", stateDir);
        expectOk(again, "second ironic start");
        expect(printedVariables(again.stdout)).to.deep.equal(printed);
        expect(again.stderr).to.match(/already running/);
        expect(readPidFile(files.pid)).to.equal(pidBefore);
    });

    it("status says running with the URL and exits 0", async () => {
        const status = await cli("ironic", "status", "--state-dir", stateDir);
        expectOk(status, "ironic status");
        expect(status.stdout).to.match(/^running pid \d+/);
        expect(printedVariables(status.stdout)).to.deep.equal(printed);
    });

    it("stop ends the process group and removes the pid file; status then exits 3", async () => {
        const pid = readPidFile(files.pid) as number;
        expectOk(await cli("ironic", "stop", "--state-dir", stateDir), "ironic stop");
        expect(isProcessAlive(pid), `ironic pid ${pid} still alive after stop`).to.equal(false);
        expect(fs.existsSync(files.pid)).to.equal(false);
        expect(await httpGet(`${url}/`)).to.equal(undefined);
        const status = await cli("ironic", "status", "--state-dir", stateDir);
        expect(status.code).to.equal(3);
        expect(status.stdout).to.match(/^stopped/);
    });

    it("a stale pid file (dead process) is removed and a fresh Ironic starts on the same database", async () => {
        const stale = await deadPid();
        fs.writeFileSync(files.pid, `${stale}\n`);
        const started = await cli("ironic", "start", "--state-dir", stateDir, "--port", String(port));
        expectOk(started, "ironic start over a stale pid file");
        expect(started.stderr).to.match(/stale pid file/);
        expect(started.stderr).to.match(/ironic-dbsync upgrade/);
        const pid = readPidFile(files.pid) as number;
        expect(pid).to.not.equal(stale);
        expect(isProcessAlive(pid)).to.equal(true);
        // Same generated password after the restart: what programs and stack config hold stays valid.
        expect(fs.readFileSync(files.password, "utf8").trim()).to.equal(password);
        expect(printedVariables(started.stdout)).to.deep.equal(printed);
        // The node enrolled before the restart is still there: the sqlite database was kept.
        const shown = await baremetalWithPrinted(printed, ["node", "show", "cli-probe", "-f", "value", "-c", "name"]);
        expectOk(shown, "baremetal node show after restart");
        expect(shown.stdout.trim()).to.equal("cli-probe");
    });

    it("a pid file naming some other live process is not taken for Ironic, and stop leaves that process alone", async () => {
        expectOk(await cli("ironic", "stop", "--state-dir", stateDir), "ironic stop");
        const bystander = spawn("sleep", ["120"], { stdio: "ignore" });
        try {
            fs.writeFileSync(files.pid, `${bystander.pid}\n`);
            const status = await cli("ironic", "status", "--state-dir", stateDir);
            expect(status.code).to.equal(3);
            expectOk(await cli("ironic", "stop", "--state-dir", stateDir), "ironic stop with a foreign pid");
            expect(isProcessAlive(bystander.pid as number), "stop killed an unrelated process").to.equal(true);
        } finally {
            bystander.kill("SIGKILL");
        }
    });

    it("--noauth: anyone on the machine can use the API, as a warning says; no credentials are printed", async () => {
        expectOk(await cli("ironic", "stop", "--state-dir", stateDir), "ironic stop");
        const started = await cli("ironic", "start", "--state-dir", stateDir, "--noauth");
        expectOk(started, "ironic start --noauth");
        expect(started.stdout).to.equal(`IRONIC_URL=${url}\n`);
        expect(started.stderr).to.match(/WARNING: .* runs without authentication \(--noauth\): every user of this machine/);
        expect(fs.readFileSync(files.config, "utf8")).to.include("auth_strategy = noauth");
        expect(fs.existsSync(files.htpasswd) || fs.existsSync(files.cloudsYaml)).to.equal(false);
        expect((await httpGet(`${url}/v1/nodes`, { "X-OpenStack-Ironic-API-Version": "1.82" }))?.status).to.equal(200);
        expectOk(await cli("ironic", "stop", "--state-dir", stateDir), "ironic stop");
    });

    it("bad arguments print the usage and exit 2", async () => {
        const bad = await cli("ironic", "start", "--fake-delays", "deploy=soon");
        expect(bad.code).to.equal(2);
        expect(bad.stderr).to.include("--fake-delays");
        expect(bad.stderr).to.include("usage: pulumi-metal3 ironic");
        // A password never goes on the command line (`ps` shows it to every user).
        const inline = await cli("ironic", "start", "--basic-auth", "metal3:secret-on-argv");
        expect(inline.code).to.equal(2);
        expect(inline.stderr).to.include("--basic-auth-password-file");
        const both = await cli("ironic", "start", "--noauth", "--basic-auth", "metal3");
        expect(both.code).to.equal(2);
        expect(both.stderr).to.include("--noauth and --basic-auth exclude each other");
        const unknown = await cli("ironic", "launch");
        expect(unknown.code).to.equal(2);
        expect(unknown.stderr).to.include('unknown command "launch"');
    });
});

// The flags of `ironic start` as the README lists them, given on the command line: each one's effect
// is looked at in the running Ironic.
describe("`ironic start --basic-auth U --basic-auth-password-file F --fake-delays power=2 --ipmi-retry-timeout 5 --deploy-kernel/--deploy-ramdisk --no-install`", function () {
    this.timeout(180_000);
    const credentials = { username: "metal3", password: "not-the-default-8413" };
    const authHeader = { Authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}` };
    const apiHeaders = { ...authHeader, "X-OpenStack-Ironic-API-Version": "1.82", "Content-Type": "application/json" };
    const agentImages = { kernel: "http://127.0.0.1:9/ipa.kernel", ramdisk: "http://127.0.0.1:9/ipa.initramfs" };
    let ironic: { url: string; stateDir: string };

    before(async function () {
        this.timeout(180_000);
        const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-metal3-ironic-flags-"));
        const passwordFile = path.join(stateDir, "..", `${path.basename(stateDir)}.password`);
        fs.writeFileSync(passwordFile, `${credentials.password}\n`, { mode: 0o600 });
        try {
            const started = await cli(
                "ironic",
                "start",
                "--state-dir",
                stateDir,
                "--port",
                String(await findFreePort()),
                "--basic-auth",
                credentials.username,
                "--basic-auth-password-file",
                passwordFile,
                "--fake-delays",
                "power=2",
                "--ipmi-retry-timeout",
                "5",
                "--deploy-kernel",
                agentImages.kernel,
                "--deploy-ramdisk",
                agentImages.ramdisk,
                // The environment is built already (the run's own Ironic): nothing to install.
                "--no-install",
            );
            expectOk(started, "ironic start with flags");
            ironic = { url: printedVariables(started.stdout).IRONIC_URL, stateDir };
        } finally {
            fs.rmSync(passwordFile, { force: true });
        }
    });

    after(async function () {
        this.timeout(60_000);
        if (!ironic) return;
        expectOk(await cli("ironic", "stop", "--state-dir", ironic.stateDir), "ironic stop");
        fs.rmSync(ironic.stateDir, { recursive: true, force: true });
    });

    async function api(method: string, urlPath: string, body?: unknown): Promise<{ status: number; json: any }> {
        const res = await fetch(`${ironic.url}${urlPath}`, { method, headers: apiHeaders, body: body === undefined ? undefined : JSON.stringify(body) });
        const text = await res.text();
        return { status: res.status, json: text ? JSON.parse(text) : undefined };
    }

    it("refuses GET /v1/nodes without credentials or with a wrong password, and accepts the right one", async () => {
        const anonymous = await httpGet(`${ironic.url}/v1/nodes`);
        expect(anonymous?.status).to.equal(401);
        const wrong = await httpGet(`${ironic.url}/v1/nodes`, {
            Authorization: `Basic ${Buffer.from(`${credentials.username}:wrong`).toString("base64")}`,
        });
        expect(wrong?.status).to.equal(401);
        const right = await httpGet(`${ironic.url}/v1/nodes`, authHeader);
        expect(right?.status).to.equal(200);
        expect(JSON.parse(right!.body)).to.have.property("nodes");
        // Version discovery stays public, as clients negotiate the microversion before authenticating.
        expect((await httpGet(`${ironic.url}/`))?.status).to.equal(200);
    });

    it("works with `baremetal` using OS_AUTH_TYPE=http_basic", async () => {
        expectOk(await baremetal(ironic.url, ["node", "list"], credentials), "baremetal node list with http_basic");
        const refused = await baremetal(ironic.url, ["node", "list"], { ...credentials, password: "wrong" });
        expect(refused.code).to.not.equal(0);
    });

    it("a later `ironic start` without credentials reports the running http_basic instance", async () => {
        const again = await cli("ironic", "start", "--state-dir", ironic.stateDir);
        expectOk(again, "ironic start on a running http_basic instance");
        expect(again.stdout).to.equal(`IRONIC_URL=${ironic.url}\n`);
        expect(again.stderr).to.match(/already running/);
    });

    it("keeps only a bcrypt hash of the password on disk", () => {
        const htpasswd = fs.readFileSync(stateFiles(ironic.stateDir).htpasswd, "utf8");
        expect(htpasswd).to.match(new RegExp(`^${credentials.username}:\\$2[aby]\\$`));
        expect(htpasswd).to.not.include(credentials.password);
        for (const file of fs.readdirSync(ironic.stateDir).filter((f) => fs.statSync(path.join(ironic.stateDir, f)).isFile())) {
            if (file.endsWith(".sqlite")) continue;
            expect(fs.readFileSync(path.join(ironic.stateDir, file), "utf8"), file).to.not.include(credentials.password);
        }
    });

    it("applies the fake power delay: powering on a fake node takes at least 2 s", async () => {
        const created = await api("POST", "/v1/nodes", { driver: "fake-hardware", name: "slow-power" });
        expect(created.status, JSON.stringify(created.json)).to.equal(201);
        const t0 = Date.now();
        const accepted = await api("PUT", `/v1/nodes/${created.json.uuid}/states/power`, { target: "power on" });
        expect(accepted.status, JSON.stringify(accepted.json)).to.equal(202);
        await waitForHttp(`${ironic.url}/v1/nodes/${created.json.uuid}`, {
            headers: apiHeaders,
            timeoutMs: 30_000,
            intervalMs: 200,
            ready: (a) => a.status === 200 && JSON.parse(a.body).power_state === "power on",
        });
        expect(Date.now() - t0).to.be.at.least(1900);
    });

    it("gives up on an unanswered IPMI BMC within seconds (command_retry_timeout 5), leaving the node in enroll with last_error", async () => {
        const deadBmcPort = await findFreePort();
        const created = await api("POST", "/v1/nodes", {
            driver: "ipmi",
            name: "dead-bmc",
            driver_info: { ipmi_address: "127.0.0.1", ipmi_port: deadBmcPort, ipmi_username: "admin", ipmi_password: "secret" },
        });
        expect(created.status, JSON.stringify(created.json)).to.equal(201);
        const t0 = Date.now();
        const accepted = await api("PUT", `/v1/nodes/${created.json.uuid}/states/provision`, { target: "manage" });
        expect(accepted.status, JSON.stringify(accepted.json)).to.equal(202);
        const settled = await waitForHttp(`${ironic.url}/v1/nodes/${created.json.uuid}`, {
            headers: apiHeaders,
            timeoutMs: 45_000,
            ready: (a) => a.status === 200 && JSON.parse(a.body).target_provision_state === null && JSON.parse(a.body).last_error !== null,
        });
        const node = JSON.parse(settled.body);
        expect(node.provision_state).to.equal("enroll");
        expect(node.last_error).to.match(/Failed to get power state/);
        expect(Date.now() - t0).to.be.below(30_000);
    });

    it("--deploy-kernel/--deploy-ramdisk: a node without agent images of its own validates for PXE boot and gets agent inspection; on an Ironic started without them it does not", async () => {
        const node = {
            driver: "ipmi",
            driver_info: { ipmi_address: "127.0.0.1", ipmi_port: await findFreePort(), ipmi_username: "admin", ipmi_password: "secret" },
        };
        const created = await api("POST", "/v1/nodes", { ...node, name: "agent-images" });
        expect(created.status, JSON.stringify(created.json)).to.equal(201);
        expect(created.json.inspect_interface).to.equal("agent");
        expect((await api("POST", "/v1/ports", { node_uuid: created.json.uuid, address: "52:54:00:7a:00:01" })).status).to.equal(201);
        const validated = await api("GET", `/v1/nodes/${created.json.uuid}/validate`);
        expect(validated.json.boot, JSON.stringify(validated.json.boot)).to.deep.equal({ result: true });
        // The run's own Ironic (test/support/hooks.ts) was started without agent images.
        const bare = async (method: string, urlPath: string, body?: unknown) => {
            const res = await fetch(`${process.env.IRONIC_URL}${urlPath}`, {
                method,
                headers: { "X-OpenStack-Ironic-API-Version": "1.82", "Content-Type": "application/json" },
                body: body === undefined ? undefined : JSON.stringify(body),
            });
            return (await res.json()) as any;
        };
        const other = await bare("POST", "/v1/nodes", { ...node, name: `no-agent-images-${Math.random().toString(36).slice(2, 8)}` });
        try {
            expect(other.inspect_interface).to.equal("no-inspect");
            await bare("POST", "/v1/ports", {
                node_uuid: other.uuid,
                address: `52:54:00:7b:${Math.floor(Math.random() * 256)
                    .toString(16)
                    .padStart(2, "0")}:01`,
            });
            const otherValidated = await bare("GET", `/v1/nodes/${other.uuid}/validate`);
            expect(otherValidated.boot.result).to.equal(false);
            expect(otherValidated.boot.reason).to.include("deploy_kernel");
        } finally {
            await fetch(`${process.env.IRONIC_URL}/v1/nodes/${other.uuid}`, { method: "DELETE", headers: { "X-OpenStack-Ironic-API-Version": "1.82" } });
        }
    });
});
