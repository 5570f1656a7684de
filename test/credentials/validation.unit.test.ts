// What users get wrong in addresses, URLs and checksums (issue 21 §4), and where the Ironic
// connection's credentials come from: the pure validators and the schemas' use of them, each
// failure naming its property. The same rules under the real engine: credentials-engine.test.ts.
import { expect } from "chai";
import { bmcAddressProblem, checksumProblem, urlProblem } from "../../sdk/schemas/common";
import { check as hostCheck } from "../../sdk/providers/host";
import { check as machineCheck } from "../../sdk/providers/machine";
import { connectionCheck, connectionLayerProblems, mergeConnection } from "../../sdk/connection";
import { resolveConnection } from "../../provider/ironic/connection";
import { MAX_ERROR_TEXT, publicErrorText } from "../../provider/ironic/errors";

const bmc = { address: "redfish+https://10.0.0.1/redfish/v1/Systems/1", username: "admin", password: "pw" };
const base = { name: "node-1", bmc, online: true };
const digest64 = "a".repeat(64);
const noEnv: NodeJS.ProcessEnv = {};

async function hostFailures(inputs: Record<string, unknown>, stack?: Record<string, unknown>): Promise<Array<{ property: string; reason: string }>> {
    return ((await hostCheck({}, inputs, stack as never)).failures ?? []) as Array<{ property: string; reason: string }>;
}

describe("URL, address and checksum inputs are what Ironic will receive", () => {
    const BAD_HOST: Array<[string, Record<string, unknown>, string, RegExp]> = [
        [
            "BMC URL with user:password@",
            { ...base, bmc: { ...bmc, address: "redfish+https://admin:secret@10.0.0.1/redfish/v1/Systems/1" } },
            "bmc.address",
            /credentials.*bmc\.username and bmc\.password/,
        ],
        ["BMC URL with user@ only", { ...base, bmc: { ...bmc, address: "ipmi://admin@10.0.0.1" } }, "bmc.address", /credentials/],
        ["BMC address without scheme, with credentials", { ...base, bmc: { ...bmc, address: "admin:pw@10.0.0.1" } }, "bmc.address", /credentials/],
        ["BMC address with a trailing space", { ...base, bmc: { ...bmc, address: "redfish://10.0.0.1/redfish/v1/Systems/1 " } }, "bmc.address", /white space/],
        ["BMC address with a newline inside", { ...base, bmc: { ...bmc, address: "redfish://10.0.\n0.1/redfish/v1/Systems/1" } }, "bmc.address", /line feed/],
        ["BMC address with a tab inside", { ...base, bmc: { ...bmc, address: "redfish://10.0.0.1/redfish/v1/Sys\ttems/1" } }, "bmc.address", /tab/],
        ["BMC address with no host", { ...base, bmc: { ...bmc, address: "redfish:///redfish/v1/Systems/1" } }, "bmc.address", /no host/],
        [
            "image URL with credentials",
            { ...base, image: { url: "https://user:pw@images.example/os.qcow2", checksum: digest64, checksumType: "sha256" } },
            "image.url",
            /credentials/,
        ],
        [
            "image URL with CR LF",
            { ...base, image: { url: "http://images.example/os.qcow2\r\n", checksum: digest64 } },
            "image.url",
            /white space|carriage return/,
        ],
        ["image URL with a tab", { ...base, image: { url: "http://images.exa\tmple/os.qcow2", checksum: digest64 } }, "image.url", /tab/],
        ["image URL without //", { ...base, image: { url: "http:images.example/os.qcow2", checksum: digest64 } }, "image.url", /no "\/\/"/],
        ["image URL with no host", { ...base, image: { url: "http:///os.qcow2", checksum: digest64 } }, "image.url", /./],
        [
            "image URL with a backslash",
            { ...base, image: { url: "http:\\\\images.example\\os.qcow2", checksum: digest64 } },
            "image.url",
            /backslash|no "\/\/"/,
        ],
        ["image URL with a leading space", { ...base, image: { url: " http://images.example/os.qcow2", checksum: digest64 } }, "image.url", /white space/],
        [
            "sha256 checksum of md5 length",
            { ...base, image: { url: "http://images.example/os.qcow2", checksum: "0".repeat(32), checksumType: "sha256" } },
            "image.checksum",
            /32 hex digits; a sha256 digest has 64/,
        ],
        [
            "md5 checksum too short",
            { ...base, image: { url: "http://images.example/os.qcow2", checksum: "abc", checksumType: "md5" } },
            "image.checksum",
            /md5 digest has 32/,
        ],
        [
            "checksum not hex",
            { ...base, image: { url: "http://images.example/os.qcow2", checksum: "sha256-digest!" } },
            "image.checksum",
            /not a hex digest|neither/,
        ],
        ["checksum with a newline", { ...base, image: { url: "http://images.example/os.qcow2", checksum: `${digest64}\n` } }, "image.checksum", /white space/],
        [
            "checksum URL with credentials",
            { ...base, image: { url: "http://images.example/os.qcow2", checksum: "http://u:p@images.example/SHA256SUMS" } },
            "image.checksum",
            /credentials/,
        ],
        [
            "deployKernel with credentials",
            { ...base, deployKernel: "http://u:p@images.example/ipa.kernel", deployRamdisk: "http://images.example/ipa.initramfs" },
            "deployKernel",
            /credentials/,
        ],
        [
            "deployRamdisk with a space",
            { ...base, deployKernel: "http://images.example/ipa.kernel", deployRamdisk: "http://images.example/ipa .initramfs" },
            "deployRamdisk",
            /space/,
        ],
        ["deployIso with no host", { ...base, deployIso: "https:///ipa.iso" }, "deployIso", /./],
        ["Ironic URL with credentials", { ...base, ironic: { url: "https://ironic:pw@ironic.example:6385" } }, "ironic.url", /ironic\.username/],
        ["Ironic URL with a newline", { ...base, ironic: { url: "http://127.0.0.1:6385\n" } }, "ironic.url", /white space/],
    ];
    for (const [what, inputs, property, reason] of BAD_HOST) {
        it(`BareMetalHost: ${what} → ${property}`, async () => {
            const failures = await hostFailures(inputs);
            const named = failures.find((f) => f.property === property);
            expect(named, JSON.stringify(failures)).to.not.equal(undefined);
            expect(named!.reason).to.match(reason);
        });
    }

    it("BareMetalHost: good URLs, digests and checksum URLs pass", async () => {
        for (const inputs of [
            base,
            { ...base, bmc: { ...bmc, address: "192.0.2.1:623" } },
            { ...base, bmc: { ...bmc, address: "ipmi://[fd00::1]:623" } },
            { ...base, bmc: { address: "fake://anything" } },
            { ...base, image: { url: "http://images.example/os.qcow2", checksum: digest64, checksumType: "sha256" } },
            { ...base, image: { url: "http://images.example/os.qcow2", checksum: "http://images.example/SHA256SUMS", checksumType: "sha256" } },
            { ...base, image: { url: "file:///var/lib/ironic/images/os.qcow2", checksum: "0".repeat(32) } },
            { ...base, image: { url: "oci://registry.example/os:1" } },
            { ...base, image: { url: "http://images.example/live.iso", format: "live-iso" } },
            { ...base, deployKernel: "http://images.example/ipa.kernel", deployRamdisk: "file:///srv/ipa.initramfs" },
        ]) {
            expect(await hostFailures(inputs), JSON.stringify(inputs)).to.deep.equal([]);
        }
    });

    it("Machine: image URL and checksum are held to the same rules", async () => {
        const machine = { name: "m", image: { url: "http://images.example/os.qcow2", checksum: digest64, checksumType: "sha256" } };
        expect((await machineCheck({}, machine)).failures ?? []).to.deep.equal([]);
        for (const [image, property] of [
            [{ url: "http://u:p@images.example/os.qcow2", checksum: digest64 }, "image.url"],
            [{ url: "http://images.example/os.qcow2", checksum: "abc", checksumType: "sha512" }, "image.checksum"],
            [{ url: "http://images.example/os.qcow2\t", checksum: digest64 }, "image.url"],
        ] as const) {
            const failures = (await machineCheck({}, { ...machine, image })).failures ?? [];
            expect(
                failures.map((f) => f.property),
                JSON.stringify(failures),
            ).to.include(property);
        }
    });

    it("urlProblem, checksumProblem and bmcAddressProblem accept what they should", () => {
        expect(urlProblem("https://ironic.example:6385", "ironic", ["http", "https"])).to.equal(undefined);
        expect(urlProblem("ftp://images.example/os.img", "image", ["http", "ftp"])).to.equal(undefined);
        expect(urlProblem("https://ironic.example:6385", "ironic", ["http"])).to.match(/scheme "https" is not accepted/);
        expect(urlProblem("http://a%40b@host/x", "image", ["http"])).to.match(/credentials/);
        expect(checksumProblem("A".repeat(128), "sha512")).to.equal(undefined);
        expect(checksumProblem("abc", undefined)).to.equal(undefined); // any hex: Ironic tells the type by its length
        expect(checksumProblem("abc", "auto")).to.equal(undefined);
        expect(checksumProblem("ftp://x/SUMS", undefined)).to.match(/scheme "ftp"/);
        expect(bmcAddressProblem("idrac-virtualmedia://10.0.0.1/redfish/v1/Systems/System.Embedded.1")).to.equal(undefined);
        expect(bmcAddressProblem("redfish://10.0.0.1/path@with-at")).to.equal(undefined); // @ in the path is not userinfo
    });
});

describe("Ironic connection: credentials only from the layer that names the Ironic", () => {
    const stack = {
        url: "https://ironic.stack.example:6385",
        authType: "http_basic" as const,
        username: "stack-user",
        password: "stack-pw",
        certFile: "/x.crt",
        keyFile: "/x.key",
    };

    it("a resource's own url takes nothing of the stack's credentials or client certificate", () => {
        const options = mergeConnection({ url: "http://127.0.0.1:7000" }, stack);
        expect(options).to.deep.equal({ url: "http://127.0.0.1:7000", source: "resource input ironic" });
        const resolved = resolveConnection(options, noEnv);
        expect([resolved.authType, resolved.password, resolved.certFile]).to.deep.equal(["none", undefined, undefined]);
    });

    it("without a url of its own the resource uses the stack's whole layer", () => {
        expect(mergeConnection(undefined, stack)).to.deep.equal({ ...stack, source: "stack config pulumi-metal3:ironic*" });
    });

    it("a setting in a layer that names no Ironic is refused, naming it", () => {
        expect(connectionLayerProblems({ password: "pw" }, stack).map((p) => p.property)).to.deep.equal(["ironic.password"]);
        const stackOnly = connectionLayerProblems(undefined, { password: "pw", insecure: true });
        expect(stackOnly.map((p) => p.reason).join("\n"))
            .to.match(/pulumi-metal3:ironicPassword is set but pulumi-metal3:ironicUrl/)
            .and.match(/pulumi-metal3:ironicInsecure/);
        expect(() => mergeConnection({ token: "t" }, stack)).to.throw(/ironic\.token/);
    });

    it("credentials over plain http to another machine are refused before any connection; loopback and allowInsecureHttp pass", () => {
        const over = (url: string, extra: Record<string, unknown> = {}) => connectionCheck({ url, username: "u", password: "p", ...extra }, undefined, noEnv);
        expect(over("http://192.0.2.10:6385").failures[0].reason).to.match(/refusing to send Ironic credentials.*allowInsecureHttp/);
        expect(over("http://127.0.0.1:6385").failures).to.deep.equal([]);
        expect(over("http://localhost:6385").failures).to.deep.equal([]);
        expect(over("http://[::1]:6385").failures).to.deep.equal([]);
        const allowed = over("http://192.0.2.10:6385", { allowInsecureHttp: true });
        expect(allowed.failures).to.deep.equal([]);
        expect(allowed.warnings.join()).to.match(/plain http:\/\/.*allowInsecureHttp is set/);
        // No credentials (noauth): nothing to protect.
        expect(connectionCheck({ url: "http://192.0.2.10:6385" }, undefined, noEnv).failures).to.deep.equal([]);
        // From the environment too, with its own opt-in.
        const env = { OS_ENDPOINT: "http://192.0.2.10:6385", OS_TOKEN: "t" };
        expect(connectionCheck(undefined, undefined, env).failures[0].reason).to.match(/PULUMI_METAL3_IRONIC_ALLOW_INSECURE_HTTP/);
        expect(connectionCheck(undefined, undefined, { ...env, PULUMI_METAL3_IRONIC_ALLOW_INSECURE_HTTP: "true" }).failures).to.deep.equal([]);
    });

    it("TLS verification turned off is a warning, wherever it was turned off", () => {
        expect(connectionCheck({ url: "https://ironic.example:6385", insecure: true }, undefined, noEnv).warnings.join()).to.match(
            /verification .* is OFF \(insecure, from resource input ironic\)/,
        );
        expect(connectionCheck(undefined, { url: "https://ironic.example:6385", insecure: true }, noEnv).warnings.join()).to.match(
            /OFF \(insecure, from stack config/,
        );
        expect(connectionCheck(undefined, undefined, { OS_ENDPOINT: "https://ironic.example:6385", OS_INSECURE: "true" }).warnings.join()).to.match(
            /OFF \(insecure, from OS_INSECURE\)/,
        );
        expect(connectionCheck({ url: "https://ironic.example:6385" }, undefined, noEnv).warnings).to.deep.equal([]);
    });

    it("PULUMI_METAL3_IRONIC_TIMEOUT_SECONDS=0 is refused: it would disable the request timeout", () => {
        expect(() => resolveConnection({ url: "http://127.0.0.1:6385" }, { PULUMI_METAL3_IRONIC_TIMEOUT_SECONDS: "0" })).to.throw(/more than 0 seconds/);
        expect(() => resolveConnection({ url: "http://127.0.0.1:6385", timeoutMs: 0 }, noEnv)).to.throw(/more than 0/);
        expect(resolveConnection({ url: "http://127.0.0.1:6385" }, { PULUMI_METAL3_IRONIC_TIMEOUT_SECONDS: "2.5" }).timeoutMs).to.equal(2500);
    });
});

describe("error text copied into plain outputs", () => {
    it("is bounded and masked of known secrets and credential shapes", () => {
        expect(publicErrorText(undefined)).to.equal("");
        expect(publicErrorText("IPMI call failed: power status.")).to.equal("IPMI call failed: power status.");
        const masked = publicErrorText(
            'failed with bmc-pw-123 for redfish+https://root:calvin@10.0.0.1/x, password=abc&x=1, "redfish_password": "p w", X-Auth-Token: tok',
            ["bmc-pw-123"],
        );
        expect(masked).to.not.match(/bmc-pw-123|calvin|abc&|p w|tok$/);
        expect(masked).to.include("redfish+https://***@10.0.0.1/x").and.include("password=***").and.include('"redfish_password": "***"');
        const long = publicErrorText("e".repeat(10_000));
        expect(long.length).to.be.below(MAX_ERROR_TEXT + 200);
        expect(long).to.match(/8000 more characters/);
    });
});
