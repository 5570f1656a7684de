// The pure parts of the local Ironic: what the CLI accepts and what lands in ironic.conf.

import { expect } from "chai";
import { parseFakeDelays, renderIronicConfig, stateFiles } from "../../local/ironic";

describe("local Ironic config (unit)", () => {
    it("parses --fake-delays, turning MIN:MAX into Ironic's MIN,MAX", () => {
        expect(parseFakeDelays("deploy=5,inspect=2:6,power=1,boot=0")).to.deep.equal({ deploy: "5", inspect: "2,6", power: "1", boot: "0" });
    });

    it("rejects unknown kinds and non-integer seconds, naming the bad item", () => {
        expect(() => parseFakeDelays("flash=3")).to.throw(/flash=3/);
        expect(() => parseFakeDelays("deploy=1.5")).to.throw(/whole numbers/);
        expect(() => parseFakeDelays("deploy")).to.throw(/KIND=N/);
    });

    it("renders delays, retry timeouts and auth into their sections", () => {
        const files = stateFiles("/tmp/x-state");
        const conf = renderIronicConfig({
            files,
            port: 7000,
            authStrategy: "http_basic",
            fakeDelays: { deploy: "1", inspect: "2,4" },
            ipmiRetryTimeoutS: 5,
            redfishRetry: { attempts: 2, intervalS: 1 },
        });
        const section = (name: string) => conf.split(`[${name}]\n`)[1].split("\n[")[0];
        expect(section("DEFAULT")).to.include("auth_strategy = http_basic").and.include(`http_basic_auth_user_file = ${files.htpasswd}`);
        expect(section("api")).to.include("host_ip = 127.0.0.1").and.include("port = 7000");
        expect(section("fake")).to.include("deploy_delay = 1").and.include("inspect_delay = 2,4").and.not.include("power_delay");
        expect(section("ipmi")).to.include("command_retry_timeout = 5");
        expect(section("redfish")).to.include("connection_attempts = 2").and.include("connection_retry_interval = 1");
        expect(section("database")).to.include(`sqlite:///${files.database}`);
        expect(() => renderIronicConfig({ files, port: 1, authStrategy: "noauth", fakeDelays: { power: "fast" } })).to.throw(/power/);
    });

    it("without extraConfig renders exactly as before", () => {
        const files = stateFiles("/tmp/x-state");
        const base = { files, port: 7000, authStrategy: "noauth" as const, httpUrl: "http://127.0.0.1:7100" };
        expect(renderIronicConfig({ ...base, extraConfig: {} })).to.equal(renderIronicConfig(base));
        expect(renderIronicConfig(base)).to.include("http_url = http://127.0.0.1:7100").and.not.include("external_http_url");
    });

    it("extraConfig goes into its section (new sections at the end) and refuses options pulumi-metal3 writes itself", () => {
        const files = stateFiles("/tmp/x-state");
        const conf = renderIronicConfig({
            files,
            port: 7000,
            authStrategy: "noauth",
            extraConfig: { deploy: { erase_devices_priority: "0" }, DEFAULT: { isolinux_bin: "/usr/lib/ISOLINUX/isolinux.bin" }, agent: { x: "1" } },
        });
        const section = (name: string) => conf.split(`[${name}]\n`)[1].split("\n[")[0];
        expect(section("deploy")).to.include("erase_devices_priority = 0").and.include(`http_root = ${files.httpRoot}`);
        expect(section("DEFAULT")).to.include("isolinux_bin = /usr/lib/ISOLINUX/isolinux.bin").and.include("auth_strategy = noauth");
        expect(section("agent")).to.include("x = 1");
        expect(conf.match(/^\[deploy\]$/gm)).to.have.length(1);
        expect(() => renderIronicConfig({ files, port: 7000, authStrategy: "noauth", extraConfig: { api: { port: "1" } } })).to.throw(
            /\[api\] port is written by pulumi-metal3/,
        );
        expect(() => renderIronicConfig({ files, port: 7000, authStrategy: "noauth", extraConfig: { deploy: { a: "1\nb = 2" } } })).to.throw(/one line/);
    });
});
