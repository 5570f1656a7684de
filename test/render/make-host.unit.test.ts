// `pulumi-metal3 make-host`: the TypeScript it prints type-checks against the real BareMetalHost
// class and never contains the password; the --yaml manifests parse, equal what the renderer
// emits, and validate against the BareMetalHost CRD.
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import * as ts from "typescript";
import { hostObjectList, renderBareMetalHost, secretProblems, type KubeObject, type SecretObject } from "../../provider/render";
import { hostInputFromOptions, parseMakeHostArgs, renderTypeScript } from "../../cli/make-host";
import { crds, repoRoot } from "./crd-dir";

const BIN = path.join(repoRoot, "bin", "pulumi-metal3");
const PASSWORD = "pa55-w0rd!x";
const BASE = ["--address", "redfish+http://127.0.0.1:8000/redfish/v1/Systems/1", "--user", "admin", "--password", PASSWORD, "--boot-mac", "52:54:00:12:34:56"];

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [BIN, "make-host", ...args], { encoding: "utf8", timeout: 60000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Type-checks a snippet that imports "pulumi-metal3", resolved to the real sdk/baremetalhost.ts. */
function typeCheck(source: string): string[] {
    const dir = fs.mkdtempSync(path.join(repoRoot, ".make-host-check-"));
    try {
        const file = path.join(dir, "index.ts");
        fs.writeFileSync(file, source);
        const program = ts.createProgram([file], {
            strict: true,
            target: ts.ScriptTarget.ES2020,
            module: ts.ModuleKind.CommonJS,
            moduleResolution: ts.ModuleResolutionKind.Node10,
            esModuleInterop: true,
            skipLibCheck: true,
            noEmit: true,
            types: ["node"],
            baseUrl: repoRoot,
            paths: { "pulumi-metal3": ["sdk/baremetalhost.ts"] },
        });
        const sf = program.getSourceFile(file)!;
        return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("make-host", function () {
    this.timeout(60000);

    it("--yaml: the Secret + BareMetalHost manifests parse, equal the renderer's output and validate against the CRD", () => {
        const args = [
            ...BASE,
            "--namespace",
            "metal3",
            "--boot-mode",
            "UEFISecureBoot",
            "--image-url",
            "http://172.22.0.1/os.qcow2",
            "--image-checksum",
            "http://172.22.0.1/os.qcow2.sha256sum",
            "--image-checksum-type",
            "sha256",
            "--image-format",
            "qcow2",
            "--yaml",
            "node-0",
        ];
        const r = run(args);
        expect(r.stderr).to.equal("");
        expect(r.status).to.equal(0);
        const docs = yaml.loadAll(r.stdout) as KubeObject[];
        expect(docs.map((d) => d.kind)).to.deep.equal(["Secret", "BareMetalHost"]);
        const secret = docs[0] as SecretObject;
        expect(secretProblems(secret)).to.deep.equal([]);
        expect(Buffer.from(secret.data.password, "base64").toString()).to.equal(PASSWORD);
        expect(r.stdout).to.not.include(PASSWORD);
        expect(crds().validate(docs[1])).to.deep.equal([]);
        const expected = hostObjectList(renderBareMetalHost(hostInputFromOptions(parseMakeHostArgs(args))));
        expect(docs).to.deep.equal(JSON.parse(JSON.stringify(expected)));
        expect((docs[1] as any).spec).to.deep.include({ bootMACAddress: "52:54:00:12:34:56", bootMode: "UEFISecureBoot", online: true });
        expect((docs[1] as any).spec.image).to.deep.equal({
            url: "http://172.22.0.1/os.qcow2",
            checksum: "http://172.22.0.1/os.qcow2.sha256sum",
            checksumType: "sha256",
            format: "qcow2",
        });
    });

    it("--yaml for a minimal ipmi host: default namespace, online, valid", () => {
        const r = run(["--address", "ipmi://10.0.0.1:6230", "--user", "u", "--password", "p", "--boot-mac", "00:11:22:33:44:55", "--yaml", "worker-1"]);
        expect(r.status).to.equal(0);
        const [secret, host] = yaml.loadAll(r.stdout) as any[];
        expect(secret.metadata).to.deep.equal({ name: "worker-1-bmc-secret", namespace: "default", labels: { "environment.metal3.io": "baremetal" } });
        expect(host.metadata.annotations).to.deep.equal({ "baremetalhost.metal3.io/paused": "pulumi-metal3" });
        expect(crds().validate(host)).to.deep.equal([]);
    });

    it("TypeScript: the password is a config secret reference, and the declaration type-checks against BareMetalHost", () => {
        const r = run([
            ...BASE,
            "--namespace",
            "metal3",
            "--boot-mode",
            "UEFI",
            "--image-url",
            "http://172.22.0.1/os.raw",
            "--image-checksum",
            "abc123",
            "--disable-certificate-verification",
            "node-0",
        ]);
        expect(r.status).to.equal(0);
        expect(r.stdout).to.not.include(PASSWORD);
        expect(r.stdout).to.include(`password: config.requireSecret("node-0-bmc-password")`);
        expect(r.stdout).to.include("//   pulumi config set --secret node-0-bmc-password");
        expect(r.stdout).to.include(`new BareMetalHost("node-0", {`);
        expect(typeCheck(r.stdout)).to.deep.equal([]);
        // The check is real: a wrong field name in the same declaration fails it.
        expect(typeCheck(r.stdout.replace("bootMACAddress", "bootMacAddress")).join("\n")).to.match(/bootMacAddress/);
    });

    it("refuses bad hosts with the BareMetalHost schema's messages (exit 1) and bad usage (exit 2)", () => {
        const bad = run([
            "--address",
            "ipmi://10.0.0.1",
            "--user",
            "u",
            "--password",
            "p",
            "--boot-mac",
            "52:54:00:12:34",
            "--boot-mode",
            "UEFISecureBoot",
            "n1",
        ]);
        expect(bad.status).to.equal(1);
        expect(bad.stderr).to.match(/bootMACAddress: must be a MAC address/);
        expect(bad.stderr).to.match(/bootMode: .*ipmi/);
        expect(bad.stdout).to.equal("");
        const scheme = run(["--address", "warp://10.0.0.1", "--user", "u", "--password", "p", "--yaml", "n1"]);
        expect(scheme.status).to.equal(1);
        expect(scheme.stderr).to.match(/bmc\.address/);
        const usage = run(["--address", "ipmi://10.0.0.1", "--user", "u", "n1"]);
        expect(usage.status).to.equal(2);
        expect(usage.stderr).to.match(/--password is required/);
        expect(run([...BASE]).stderr).to.match(/NAME is required/);
    });

    it("renderTypeScript names the variable after the host", () => {
        const src = renderTypeScript(parseMakeHostArgs([...BASE, "rack1.node-07"]));
        expect(src).to.include("export const rack1Node07 = new BareMetalHost(");
    });
});
