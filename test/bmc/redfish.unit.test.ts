// Pure parts of the Redfish lab: the venv cache key (pinned requirements + interpreter) and the
// emulator configuration it writes (no password in it; TLS only when asked).
import { expect } from "chai";
import { redfishAddress, redfishFiles, redfishLines, renderEmulatorConfig, SUSHY_TOOLS_REQUIREMENTS } from "../../local/redfish";
import { venvKey } from "../../local/redfish-venv";

describe("Redfish lab (unit)", () => {
    it("keys the venv by the pinned requirements and the interpreter, not their order", () => {
        const id = "3.11.7 /root/.pyenv/versions/3.11.7";
        const key = venvKey(SUSHY_TOOLS_REQUIREMENTS, id);
        expect(key).to.match(/^[0-9a-f]{12}$/);
        expect(venvKey([...SUSHY_TOOLS_REQUIREMENTS].reverse(), id)).to.equal(key);
        expect(venvKey(SUSHY_TOOLS_REQUIREMENTS, "3.11.2 /usr")).to.not.equal(key);
        expect(
            venvKey(
                SUSHY_TOOLS_REQUIREMENTS.map((r) => (r.startsWith("sushy-tools==") ? "sushy-tools==2.1.0" : r)),
                id,
            ),
        ).to.not.equal(key);
        expect(() => venvKey(["sushy-tools>=2"], id)).to.throw(/not pinned/);
        expect(SUSHY_TOOLS_REQUIREMENTS).to.include("sushy-tools==2.2.0");
    });

    it("writes the emulator's configuration without the password, TLS files only with TLS", () => {
        const files = redfishFiles("/state");
        const record = {
            port: 8000,
            tls: false,
            username: "admin",
            password: "s3cret-pw",
            systems: [{ name: "redfish-0", uuid: "0b0e9e3c-8f1a-4c8e-9e57-6f1b1b0f2a11", mac: "52:54:02:00:00:01" }],
        };
        const plain = renderEmulatorConfig(files, record);
        expect(plain).to.not.include("s3cret-pw");
        expect(plain)
            .to.include('SUSHY_EMULATOR_LISTEN_IP = "127.0.0.1"')
            .and.include("SUSHY_EMULATOR_FAKE_DRIVER = True")
            .and.include('SUSHY_EMULATOR_AUTH_FILE = "/state/redfish/htpasswd"');
        expect(plain).to.include("52:54:02:00:00:01").and.not.include("SSL_CERT");
        expect(renderEmulatorConfig(files, { ...record, tls: true })).to.include('SUSHY_EMULATOR_SSL_CERT = "/state/redfish/cert.pem"');
        expect(redfishAddress(record, record.systems[0])).to.equal("redfish+http://127.0.0.1:8000/redfish/v1/Systems/0b0e9e3c-8f1a-4c8e-9e57-6f1b1b0f2a11");
        expect(redfishAddress({ ...record, tls: true }, record.systems[0], "redfish-virtualmedia+https")).to.match(
            /^redfish-virtualmedia\+https:\/\/127\.0\.0\.1:8000\//,
        );
        expect(redfishLines(record)).to.deep.equal([
            "BMC=redfish+http://127.0.0.1:8000/redfish/v1/Systems/0b0e9e3c-8f1a-4c8e-9e57-6f1b1b0f2a11 admin s3cret-pw BOOT_MAC=52:54:02:00:00:01",
        ]);
    });
});
